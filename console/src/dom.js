// @ts-check
/** Tiny DOM helpers: elements are built with properties and children, never from HTML strings. */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @typedef {Node | string | number | null | undefined | false} Leaf
 * @typedef {Leaf | readonly unknown[]} Child  nested arrays of leaves, flattened when appended
 * @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>} Attributes
 */

/**
 * @param {Element} element
 * @param {Attributes} attributes
 */
function applyAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    // Through the CSSOM, which a Content-Security-Policy without 'unsafe-inline' styles allows (a style attribute it blocks).
    else if (name === 'style') /** @type {HTMLElement | SVGElement} */ (element).style.cssText = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

/**
 * @param {Child} child
 * @returns {child is readonly unknown[]}
 */
const isList = (child) => Array.isArray(child);

/**
 * @param {Element} element
 * @param {Child[]} children
 */
function appendChildren(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (isList(child)) appendChildren(element, /** @type {Child[]} */ (child));
    else element.append(typeof child === 'object' ? child : String(child));
  }
}

/**
 * An HTML element. `on<event>` attributes become listeners.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  applyAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Attributes} [attributes]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attributes = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  applyAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

/**
 * A status pill. The tone drives the colour; the label is always text, so colour is never the only signal.
 * @param {import('./lib/status').Badge} badge
 */
export const badge = (badge) => h('span', { class: `badge badge--${badge.tone}` }, badge.label);

/** Last rendered data of each keyed section, so a refresh only rebuilds what changed. */
const renderedData = new WeakMap();

/**
 * Keeps `container` showing `build(data)`, rebuilding only when `data` changed since the last call. Unchanged sections
 * keep their DOM (and with it focus, text being typed and scroll position), which is what keeps auto-refresh calm.
 * @template T
 * @param {HTMLElement} container
 * @param {T} data
 * @param {(data: T) => Node | Node[]} build
 */
export function patch(container, data, build) {
  const key = JSON.stringify(data);
  if (renderedData.get(container) === key) return;
  renderedData.set(container, key);
  const built = build(data);
  container.replaceChildren(...(Array.isArray(built) ? built : [built]));
}

/**
 * An inline error message announced to screen readers.
 * @param {string} message
 */
export const errorNote = (message) => h('p', { class: 'note note--error', role: 'alert' }, message);

/**
 * A definition list of label/value pairs.
 * @param {[string, Child][]} rows
 */
export const facts = (rows) =>
  h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? '—')]),
  );
