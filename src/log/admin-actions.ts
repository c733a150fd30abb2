/**
 * The admin API's audit trail: every action (a key created, credited, revoked) is a row naming
 * who did it by a fingerprint of the admin token, what, to which key, and when.
 */
import { CursorError } from './cursor'
import { type FailureReport, safely } from './writer'

export const ADMIN_ACTIONS = ['key.create', 'key.credit', 'key.revoke'] as const
export type AdminActionName = (typeof ADMIN_ACTIONS)[number]

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue }

export interface AdminAction {
  /** ms since the epoch. */
  at: number
  /** adminFingerprint of the token the call was made with. */
  admin: string
  action: AdminActionName
  /** The key acted on (its id). */
  target: string | null
  /** What changed: a name, an amount, permissions. Never a secret. */
  detail: { [k: string]: JsonValue }
}

export interface AdminActionEntry extends AdminAction {
  id: number
}

/**
 * Names an admin token without revealing it: the first 64 bits of its SHA-256, in hex. Enough
 * to tell two tokens apart after a rotation; a strong token cannot be found from it.
 */
export async function adminFingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest, 0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** Past this, a detail is stored as `{"truncated": true}` rather than cut into invalid JSON. */
const MAX_DETAIL = 4000

/**
 * Records an action after it took effect; never rejects: the key was already created, credited
 * or revoked, so the admin's answer must say so even when the trail could not be written.
 */
export function recordAdminAction(
  db: D1Database | undefined,
  action: AdminAction,
  onFailure?: FailureReport,
): Promise<void> {
  if (!db) return Promise.resolve()
  return safely(
    'admin_action_write_failed',
    1,
    () => {
      const detail = JSON.stringify(action.detail)
      return db
        .prepare(
          'INSERT INTO admin_actions (created_at, admin, action, target, detail) VALUES (?, ?, ?, ?, ?)',
        )
        .bind(
          Math.max(0, Math.trunc(action.at)) || 0,
          action.admin.slice(0, 64),
          action.action,
          action.target?.slice(0, 200).toWellFormed() ?? null,
          detail.length > MAX_DETAIL ? '{"truncated":true}' : detail.toWellFormed(),
        )
        .run()
    },
    onFailure,
  )
}

interface StoredAction {
  id: number
  created_at: number
  admin: string
  action: AdminActionName
  target: string | null
  detail: string
}

/** Admin actions, newest first; `before` is a previous page's `next`. */
export async function listAdminActions(
  db: D1Database,
  query: { limit?: number; before?: string | null },
): Promise<{ data: AdminActionEntry[]; next: string | null }> {
  const limit = Math.min(200, Math.max(1, Math.trunc(query.limit ?? 50) || 50))
  let before = Number.MAX_SAFE_INTEGER
  if (query.before) {
    if (!/^[1-9]\d{0,14}$/.test(query.before)) throw new CursorError()
    before = Number(query.before)
  }
  const { results } = await db
    .prepare('SELECT * FROM admin_actions WHERE id < ? ORDER BY id DESC LIMIT ?')
    .bind(before, limit + 1)
    .all<StoredAction>()
  const data = results.slice(0, limit).map((s) => ({
    id: s.id,
    at: s.created_at,
    admin: s.admin,
    action: s.action,
    target: s.target,
    detail: JSON.parse(s.detail) as { [k: string]: JsonValue },
  }))
  const last = data.at(-1)
  return { data, next: results.length > limit && last ? String(last.id) : null }
}
