/**
 * @voc/pipeline: the stages (one handler per queue), the sweeper, the
 * hand-over between stages, and the read models the gateway serves.
 */
export { pipelineDepsFrom, type PipelineDeps } from './deps';
export { pipelineSettingsFromEnv, SERVICE_SETTINGS, type PipelineSettings, type WorkerServiceName } from './settings';
export { requestLearning } from './handover';
export { reportDataVersion, requestReport, reusableReport, type RequestedReport } from './report/request';
export { uploadStatus, type UploadStatus } from './uploads';
export { InvalidCursorError, listReviews, productStatus, type ProductStatus, type ReviewPage, type ReviewView } from './status';
export { renderReportHtml } from './report/render-html';
export type { DimensionSummary, LabelShare, ReportContent } from './report/types';
export { handleIngest } from './ingest';
export { handleTranslate } from './translate';
export { handleLearning } from './learning';
export { learningBackup } from './learning-backup';
export { handleInsight } from './insight';
export { handleTheme } from './theme';
export { handleReport } from './report/handle';
export { Sweeper, type SweeperOptions } from './sweeper';
