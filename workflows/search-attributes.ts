import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the dev server the demo and the tests start (and by `temporal operator
// search-attribute create` on a team server); a release sets them only where they exist.
export const runbookSiteKey = defineSearchAttributeKey('RunbookSite', SearchAttributeType.KEYWORD);
export const runbookStageKey = defineSearchAttributeKey('RunbookStage', SearchAttributeType.KEYWORD);
export const runbookSearchAttributes = [runbookSiteKey, runbookStageKey];
