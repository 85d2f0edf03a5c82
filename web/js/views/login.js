// The login form. A successful login gives the session cookie (HttpOnly, so the page never
// sees it) and the CSRF token that every change must carry.
import {ApiError, request, set_csrf} from '../api.js';
import {byId} from '../dom.js';

export function create_login_view({on_login}) {
    const form = byId('login-form');
    const error_line = byId('login-error');
    const submit = byId('login-submit');
    const user_box = byId('login-user');
    const password_box = byId('login-password');

    function explain(error) {
        if (!(error instanceof ApiError)) return `Could not reach the server: ${error.message}`;
        if (error.status === 401) return 'Wrong user name or password.';
        if (error.status === 429) {
            const wait = error.retry_after;
            return wait ? `Too many attempts. Try again in ${wait} ${wait === 1 ? 'second' : 'seconds'}.` :
                'Too many attempts. Try again later.';
        }
        return error.message;
    }

    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const user = user_box.value.trim();
        if (!user || !password_box.value) {
            error_line.textContent = 'Enter your user name and password.';
            (user ? password_box : user_box).focus();
            return;
        }
        submit.disabled = true;
        error_line.textContent = '';
        try {
            const answer = await request('/api/login', {
                method: 'POST', json: {user, password: password_box.value}, expect_unauthorized: true,
            });
            set_csrf(answer?.csrf ?? null);
            password_box.value = '';
            await on_login();
        } catch (error) {
            error_line.textContent = explain(error);
            password_box.select();
            password_box.focus();
        } finally {
            submit.disabled = false;
        }
    });

    return {
        // `message` says why the form is shown again (a session that ended), if it is.
        show(message = '') {
            error_line.textContent = message;
            (user_box.value ? password_box : user_box).focus();
        },
        reset() {
            password_box.value = '';
            error_line.textContent = '';
        },
    };
}
