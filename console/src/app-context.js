// @ts-check
/**
 * What every view receives, and what it gives back to the shell. `can(role)` says whether the server granted the
 * signed-in person a role (GET /me): views show an action only to those who hold it; the server still decides.
 * @typedef {{ client: import('./api').Client, auth: import('./auth').Auth, twin: boolean, who: () => string, can: (role: 'approver' | 'operator' | 'developer') => boolean, now: () => number, refreshSoon: () => void }} AppContext
 * @typedef {{ element: HTMLElement, title: string, refresh: () => Promise<void>, dispose?: () => void }} View
 */
export {};
