/**
 * The messages for one field of a validation_error, joined, or ''.
 * The server puts them under details.fields ({field: [messages]}); older answers had them directly
 * under details, so both are read.
 */
export function fieldError(err, field) {
  if (err?.code !== 'validation_error') return ''
  const messages = err.details?.fields?.[field] ?? err.details?.[field]
  if (!messages) return ''
  return Array.isArray(messages) ? messages.join('；') : String(messages)
}
