// Every workflow the worker registers; the names are what the Temporal UI and CLI use.
export { compileWorkflow } from './compile.js';
export { deployWorkflow } from './deploy.js';
export { syncDataWorkflow } from './sync.js';
export { sftpJanitorWorkflow } from './janitor.js';
export { releaseWorkflow } from './release.js';
export { siteLockWorkflow } from './site-lock.js';
export { websiteWorkflow } from './website.js';
