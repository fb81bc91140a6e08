/**
 * The messages for one field of a validation_error (details: {field: [messages]}), joined, or ''.
 */
export function fieldError(err, field) {
  const messages = err?.code === 'validation_error' ? err.details?.[field] : null
  if (!messages) return ''
  return Array.isArray(messages) ? messages.join('；') : String(messages)
}
