/**
 * The messages for one field of a validation_error, joined, or ''.
 * The server puts them under details.fields ({field: [messages]}, marshmallow's English) and the
 * same in Chinese under details.fields_zh; the page's language (<html lang>) chooses. Older answers
 * had them directly under details, so that is read too.
 */
export function fieldError(err, field, locale = pageLocale()) {
  if (err?.code !== 'validation_error') return ''
  const details = err.details ?? {}
  const chinese = String(locale).startsWith('zh') ? details.fields_zh?.[field] : undefined
  const messages = chinese ?? details.fields?.[field] ?? details[field]
  if (!messages) return ''
  return Array.isArray(messages) ? messages.join('；') : String(messages)
}

function pageLocale() {
  return typeof document === 'undefined' ? '' : document.documentElement.lang || ''
}
