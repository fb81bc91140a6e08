import { createApp } from 'vue'
import 'vant/es/style/base.css'
import '../shared/base.css'
import { createSession } from '../shared/auth.js'
import { createAppI18n } from '../shared/i18n.js'
import App from './App.vue'
import { createConsoleRouter } from './router.js'

// The console works online only: no service worker, nothing cached for offline use.
const session = createSession('console')
const app = createApp(App)
app.use(createAppI18n())
app.use(session)
app.use(createConsoleRouter(session))
app.mount('#app')
