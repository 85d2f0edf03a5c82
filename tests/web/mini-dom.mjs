// Just enough of a DOM for the page's renderers to run under node: elements, text nodes and
// fragments, built only through createElement/createTextNode/appendChild/setAttribute. Every
// property that parses markup throws, so a renderer that reached for one fails its test.

const markup_sinks = ['innerHTML', 'outerHTML'];
const markup_methods = ['insertAdjacentHTML', 'setHTMLUnsafe'];

function forbid_markup(node) {
    for (const name of markup_sinks) {
        Object.defineProperty(node, name, {
            get() { throw new Error(`mini-dom: ${name} read`); },
            set() { throw new Error(`mini-dom: ${name} written`); },
        });
    }
    for (const name of markup_methods) {
        node[name] = () => { throw new Error(`mini-dom: ${name} called`); };
    }
}

class Node {
    constructor() {
        this.childNodes = [];
        forbid_markup(this);
    }

    appendChild(child) {
        if (child instanceof Fragment) {
            this.childNodes.push(...child.childNodes);
            child.childNodes = [];
        } else {
            this.childNodes.push(child);
        }
        return child;
    }

    get textContent() {
        return this.childNodes.map((child) => child.textContent).join('');
    }
}

class Text {
    constructor(data) {
        this.data = String(data);
    }

    get textContent() {
        return this.data;
    }
}

class Element extends Node {
    constructor(tag) {
        super();
        this.tagName = tag.toLowerCase();
        this.attributes = new Map();
    }

    setAttribute(name, value) {
        this.attributes.set(name.toLowerCase(), String(value));
    }

    getAttribute(name) {
        return this.attributes.get(name.toLowerCase()) ?? null;
    }
}

class Fragment extends Node {}

export class MiniDocument {
    createElement(tag) {
        return new Element(tag);
    }

    createTextNode(data) {
        return new Text(data);
    }

    createDocumentFragment() {
        return new Fragment();
    }
}

const escapes = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
const escape = (text) => text.replace(/[&<>"]/g, (c) => escapes[c]);

// Serializes a tree, escaping text, so that tests can compare whole structures at a glance.
export function to_html(node) {
    if (node instanceof Text) return escape(node.data);
    const inner = node.childNodes.map(to_html).join('');
    if (node instanceof Fragment) return inner;
    const attributes = [...node.attributes].map(([name, value]) => ` ${name}="${escape(value)}"`).join('');
    if (node.tagName === 'br') return `<br${attributes}>`;
    return `<${node.tagName}${attributes}>${inner}</${node.tagName}>`;
}

// Every element in a tree, depth first.
export function elements(node) {
    const found = [];
    const walk = (current) => {
        for (const child of current.childNodes) {
            if (child instanceof Element) {
                found.push(child);
                walk(child);
            }
        }
    };
    walk(node);
    return found;
}
