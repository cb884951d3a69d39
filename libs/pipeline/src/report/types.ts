/** The report's shape is defined where it is stored and parsed: @voc/db's reports.content schema. */
export type { DimensionSummary, LabelShare, ReportContent } from '@voc/db';
