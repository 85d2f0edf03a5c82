// Builds elements with createElement, setAttribute and text nodes only. Nothing here parses
// markup, so text from the server can never become elements, scripts or event handlers.

// Attributes that could run code or smuggle styles past the Content-Security-Policy; the
// builder refuses them outright rather than trusting every caller to avoid them.
function is_forbidden_attribute(name) {
    const lower = name.toLowerCase();
    return lower.startsWith('on') || lower === 'style' || lower === 'srcdoc';
}

// h('p', {class: 'note'}, 'text', child) — strings become text nodes; null and false are
// skipped, so optional parts can be written inline. Props: `class`, `text`, `on` (an object of
// event listeners), `dataset`, and any other attribute set verbatim with setAttribute.
export function h(tag, props = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (name === 'class') {
            element.className = value;
        } else if (name === 'text') {
            element.textContent = String(value);
        } else if (name === 'on') {
            for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
        } else if (name === 'dataset') {
            for (const [key, data] of Object.entries(value)) element.dataset[key] = String(data);
        } else if (is_forbidden_attribute(name)) {
            throw new Error(`h: attribute '${name}' is not allowed`);
        } else {
            element.setAttribute(name, value === true ? '' : String(value));
        }
    }
    append(element, children);
    return element;
}

function append(parent, children) {
    for (const child of children) {
        if (child === undefined || child === null || child === false) continue;
        if (Array.isArray(child)) {
            append(parent, child);
        } else if (typeof child === 'string' || typeof child === 'number') {
            parent.appendChild(document.createTextNode(String(child)));
        } else {
            parent.appendChild(child);
        }
    }
}

// Replaces every child of `parent` with the given children (same forms as h()).
export function fill(parent, ...children) {
    parent.replaceChildren();
    append(parent, children);
}

export function byId(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`page: no element #${id}`);
    return element;
}
