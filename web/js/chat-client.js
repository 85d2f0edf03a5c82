// One chat turn as a stream: POST /api/chat answers with server-sent events (prepared, text,
// notice, done, error), yielded here as they arrive with their JSON already parsed. Aborting
// `signal` drops the connection, and the server stops writing the reply.
import {request} from './api.js';
import {read_events} from './sse.js';

export async function* stream_chat({message, conversation, signal}) {
    const body = {message};
    if (conversation !== null && conversation !== undefined) body.conversation = conversation;
    const response = await request('/api/chat', {
        method: 'POST', json: body, raw: true, accept: 'text/event-stream', signal,
    });
    for await (const {event, data} of read_events(response)) {
        let payload;
        try {
            payload = JSON.parse(data);
        } catch {
            continue;  // not one of ours; a later event still counts
        }
        if (payload && typeof payload === 'object') yield {event, data: payload};
    }
}
