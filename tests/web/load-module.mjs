// Loads one of the page's modules (web/js/*.js) under node. They are ES modules in .js files
// with no package.json of their own, which node would read as CommonJS; importing their text
// as a data: URL makes node read them as modules, exactly as the browser does. Only modules
// without imports of their own can be loaded this way, which the pure ones are.
import {readFile} from 'node:fs/promises';

export async function load_web_module(relative) {
    const url = new URL(`../../web/${relative}`, import.meta.url);
    const source = await readFile(url, 'utf8');
    return import(`data:text/javascript;charset=utf-8,${encodeURIComponent(source)}`);
}
