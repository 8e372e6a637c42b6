// @ts-check
/**
 * What every view receives, and what it gives back to the shell.
 * @typedef {{ client: import('./api').Client, session: import('./api').Session, now: () => number, refreshSoon: () => void }} AppContext
 * @typedef {{ element: HTMLElement, title: string, refresh: () => Promise<void>, dispose?: () => void }} View
 */
export {};
