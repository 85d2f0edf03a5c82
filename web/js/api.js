// The one way the page talks to the server: JSON in and out, the CSRF token on every request
// that changes something, and errors turned into ApiError with the server's own message.

export class ApiError extends Error {
    constructor(status, message, {type = '', code = '', retry_after = null} = {}) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.type = type;
        this.code = code;
        this.retry_after = retry_after;  // seconds, from Retry-After on 429
    }
}

const unsafe_methods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrf_token = null;
let on_unauthorized = () => {};

// The session's CSRF token, from /api/login or /api/me; null after logging out.
export function set_csrf(token) {
    csrf_token = token;
}

// Called when a request meets 401, meaning the session ended while the page was open.
export function set_unauthorized_handler(handler) {
    on_unauthorized = handler;
}

async function error_from(response) {
    let message = `${response.status} ${response.statusText}`.trim();
    let detail = {};
    try {
        const body = await response.json();
        if (body && body.error) {
            detail = body.error;
            if (typeof detail.message === 'string' && detail.message) message = detail.message;
        }
    } catch {
        // Not JSON (a proxy's page, an empty body): the status line is all there is.
    }
    const retry = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    return new ApiError(response.status, message, {
        type: String(detail.type ?? ''),
        code: String(detail.code ?? ''),
        retry_after: Number.isFinite(retry) ? retry : null,
    });
}

// request('/api/x', {method, json | body + content_type, signal, raw, expect_unauthorized})
// resolves to the parsed JSON, null for an empty answer, or the Response itself with `raw`.
// `expect_unauthorized` is for the requests where 401 is an answer, not a lost session.
export async function request(path, options = {}) {
    const method = (options.method ?? 'GET').toUpperCase();
    const headers = {Accept: options.accept ?? 'application/json'};
    let body = options.body;
    if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['Content-Type'] = 'application/json';
    } else if (options.content_type) {
        headers['Content-Type'] = options.content_type;
    }
    if (unsafe_methods.has(method) && csrf_token) headers['X-CSRF-Token'] = csrf_token;

    const response = await fetch(path, {method, headers, body, signal: options.signal, credentials: 'same-origin'});
    if (!response.ok) {
        const error = await error_from(response);
        if (response.status === 401 && !options.expect_unauthorized) on_unauthorized(error);
        throw error;
    }
    if (options.raw) return response;
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
}

// A path segment from an id the server gave, so that no id can change the route it is sent to.
export function segment(id) {
    return encodeURIComponent(String(id));
}
