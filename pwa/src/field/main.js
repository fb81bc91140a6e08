import { createApp } from 'vue'
import 'vant/es/style/base.css'
import '../shared/base.css'
import { createSession } from '../shared/auth.js'
import { createAppI18n } from '../shared/i18n.js'
import App from './App.vue'
import { createFieldRouter } from './router.js'
import { registerServiceWorker } from './serviceWorker.js'

const session = createSession('field')
const app = createApp(App)
app.use(createAppI18n())
app.use(session)
app.use(createFieldRouter(session))
app.mount('#app')

registerServiceWorker()
