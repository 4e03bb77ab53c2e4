// The kiosk's key guard: a resident at a locked terminal (self-service, queue-ticket, call-screen) must not
// leave the page with browser shortcuts, open developer tools, zoom the page out of shape or drag a link away.
// The window itself refuses close requests (Rust, `lockdown_cmds.rs`); this covers what the page sees first.
// Typing into fields keeps working: letters, digits, Enter, Tab, arrows and Backspace inside a field pass.

/** The parts of a KeyboardEvent the guard looks at (so tests can pass plain objects). */
export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
  shiftKey: boolean
  target?: EventTarget | null
}

/** Letters that do something browser-ish with Ctrl or ⌘ (close, quit, reload, new window, print, save, …). */
const CTRL_LETTERS = new Set(['w', 'q', 'r', 'n', 't', 'l', 'p', 's', 'o', 'u', 'f', 'g', 'h', 'j', 'd', 'e', 'k', 'm'])
/** Zoom keys with Ctrl or ⌘. */
const ZOOM_KEYS = new Set(['+', '=', '-', '_', '0'])
/** Keys that navigate or leave full screen whatever the modifiers. */
const ALWAYS = new Set(['Escape', 'BrowserBack', 'BrowserForward', 'BrowserRefresh', 'BrowserHome', 'ContextMenu', 'Meta', 'OS', 'Super', 'Hyper'])

/** Whether `target` takes typed text, so Backspace there deletes rather than navigates. */
export function isTextField(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false
  const el = target as HTMLElement
  if (el.isContentEditable) return true
  if (el.tagName === 'TEXTAREA') return !(el as HTMLTextAreaElement).readOnly
  if (el.tagName !== 'INPUT') return false
  const input = el as HTMLInputElement
  const type = (input.type || 'text').toLowerCase()
  return (
    !input.readOnly &&
    ['text', 'search', 'tel', 'number', 'password', 'email', 'url', 'date', 'time'].includes(type)
  )
}

/** Whether the guard swallows this key press. */
export function isBlockedKey(e: KeyLike): boolean {
  const key = e.key
  if (ALWAYS.has(key)) return true
  // F1–F24: help, reload (F5), full screen (F11), developer tools (F12), caret browsing (F7) …
  if (/^F\d{1,2}$/.test(key)) return true
  const lower = key.length === 1 ? key.toLowerCase() : key
  if (e.ctrlKey || e.metaKey) {
    if (CTRL_LETTERS.has(lower) || ZOOM_KEYS.has(key)) return true
    // Ctrl+Shift+I/J/C: developer tools and the inspector; Ctrl+Shift+Delete: clear browsing data.
    if (e.shiftKey && (['i', 'j', 'c'].includes(lower) || key === 'Delete')) return true
    if (key === 'Tab' || key === 'PageUp' || key === 'PageDown') return true
  }
  // Alt+Left/Right: back/forward; Alt+Home: home page; Alt+F4 is caught by the F-key rule and the window.
  if (e.altKey && ['ArrowLeft', 'ArrowRight', 'Home', 'Left', 'Right'].includes(key)) return true
  // Backspace outside a field is "back" in some engines.
  if (key === 'Backspace' && !isTextField(e.target)) return true
  return false
}

/**
 * Install the guard on `win` (capture phase, before any page handler). Returns the function that removes it.
 * Escape is only kept from the browser (it would leave HTML full screen): page dialogs still see it.
 */
export function installKeyGuard(win: Window = window): () => void {
  const doc = win.document
  const onKey = (e: KeyboardEvent) => {
    if (!isBlockedKey(e)) return
    e.preventDefault()
    if (e.key !== 'Escape') e.stopImmediatePropagation()
  }
  const prevent = (e: Event) => e.preventDefault()
  // A dragged link or image could be dropped out of the kiosk or open as a new page.
  const onDragStart = (e: DragEvent) => {
    const el = e.target as Element | null
    if (!el || typeof el.closest !== 'function' || el.closest('a, img') || !isTextField(el)) e.preventDefault()
  }
  // Ctrl + wheel (and a touchpad pinch, which arrives as one) zooms the page.
  const onWheel = (e: WheelEvent) => {
    if (e.ctrlKey || e.metaKey) e.preventDefault()
  }
  // Two-finger pinch on a touch screen.
  const onTouchMove = (e: TouchEvent) => {
    if (e.touches && e.touches.length > 1) e.preventDefault()
  }
  const listeners: Array<[EventTarget, string, EventListener, AddEventListenerOptions]> = [
    [win, 'keydown', onKey as EventListener, { capture: true }],
    [win, 'keyup', ((e: KeyboardEvent) => isBlockedKey(e) && e.preventDefault()) as EventListener, { capture: true }],
    [doc, 'contextmenu', prevent, { capture: true }],
    [doc, 'dragstart', onDragStart as EventListener, { capture: true }],
    [doc, 'dragover', prevent, { capture: true }],
    [doc, 'drop', prevent, { capture: true }],
    [win, 'wheel', onWheel as EventListener, { capture: true, passive: false }],
    [doc, 'touchmove', onTouchMove as EventListener, { capture: true, passive: false }],
    // WebKit's own pinch events.
    [doc, 'gesturestart', prevent, { capture: true, passive: false }],
    [doc, 'gesturechange', prevent, { capture: true, passive: false }],
  ]
  for (const [target, type, fn, opts] of listeners) target.addEventListener(type, fn, opts)
  return () => {
    for (const [target, type, fn, opts] of listeners) target.removeEventListener(type, fn, opts)
  }
}
