// Asks before anything irreversible, in the page's own <dialog>: showModal() keeps focus
// inside it and Escape cancels, which window.confirm() would too, but this one can be styled
// and names the action on its button.
import {byId} from './dom.js';

export function confirm_action({title, text, action}) {
    const dialog = byId('confirm-dialog');
    byId('confirm-title').textContent = title;
    byId('confirm-text').textContent = text;
    byId('confirm-ok').textContent = action;
    dialog.returnValue = '';
    const opener = document.activeElement;
    return new Promise((resolve) => {
        dialog.addEventListener('close', () => {
            if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
            resolve(dialog.returnValue === 'confirm');
        }, {once: true});
        dialog.showModal();
        byId('confirm-cancel').focus();  // the safe choice is the one Enter takes
    });
}
