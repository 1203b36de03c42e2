/** text-completion's own code: only the library module behind `inferlib:context/*` differs (package.json `use`). */
export { run } from '../../text-completion/src/component.ts';
