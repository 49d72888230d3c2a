export { Loading, ErrorNote, Empty } from './feedback.js';
export { Field } from './field.js';
export { Dialog } from './dialog.js';
export { Pager, pageNumber } from './pager.js';
export { PageTitle } from './page-title.js';
export { useAsync, type AsyncState } from './use-async.js';
export { Time } from './time.js';
export { SignedInOnly } from './signed-in-only.js';
