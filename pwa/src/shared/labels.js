import { useI18n } from 'vue-i18n'

/** Localised names for code words (roles, levels, task statuses…), falling back to the code itself. */
export function useLabels() {
  const { t, te, locale } = useI18n({ useScope: 'global' })
  /** The name of `code` in the locale group `group` (e.g. of('taskStatus', 'assigned')). */
  const of = (group, code) =>
    code != null && te(`${group}.${code}`) ? t(`${group}.${code}`) : code
  const role = (code) => of('roles', code)
  const level = (code) => of('levels', code)
  const list = (items) => items.join(locale.value === 'en' ? ', ' : '、')
  return {
    of,
    role,
    level,
    roles: (codes) => list((codes ?? []).map(role)),
    // Visit tasks (server/tasks/models.py, server/policies/facts.py).
    taskStatus: (code) => of('taskStatus', code),
    item: (code) => of('taskItems', code),
    source: (code) => of('taskSources', code),
    productType: (code) => of('productTypes', code),
    channel: (code) => of('channels', code),
  }
}
