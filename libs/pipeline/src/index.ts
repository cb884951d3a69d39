/**
 * @voc/pipeline: the stages (one handler per queue), the sweeper, the
 * hand-over between stages, the state machines of reviews and products
 * (lifecycle), the outage classifier, and the read models the gateway serves.
 */
export { pipelineDepsFrom, type PipelineDeps } from './deps';
export { pipelineSettingsFromEnv, SERVICE_SETTINGS, type PipelineSettings, type WorkerServiceName } from './settings';
export {
  ANALYSABLE_STATES,
  LEARNABLE_FROM,
  STAGE_TRANSITIONS,
  analysisVersion,
  learningDue,
  learningDueAt,
  LearningAlarms,
  learningRetryDelayMs,
  requestLearning,
  type LearningFacts,
  type LearningRequest,
  type LearningState,
  type ReviewStage,
  type StageStatus,
} from './lifecycle';
export { DEPENDENCIES, dependencyOf, isRefusal, type Dependency } from './outage';
export { type StageContext } from './context';
export {
  InvalidCursorError,
  InvalidReviewFilterError,
  REVIEW_LIST_STATUSES,
  listReviews,
  productStatus,
  type ListReviewsOptions,
  type ProductStatus,
  type RejectedReviewView,
  type ReviewListStatus,
  type ReviewPage,
  type ReviewView,
} from './status';
export { reportDataVersion, requestReport, reusableReport, type RequestedReport } from './report/request';
export { uploadStatus, type UploadStatus } from './uploads';
export { renderReportHtml } from './report/render-html';
export type { DimensionSummary, LabelShare, ReportContent } from './report/types';
export { handleIngest, type IngestResult } from './ingest';
export { handleTranslate, type TranslateResult } from './translate';
export { handleLearning, type LearningResult } from './learning';
export { learningBackup } from './learning-backup';
export { handleInsight } from './insight';
export { handleTheme } from './theme';
export { type AnalysisResult } from './analysis';
export { handleReport } from './report/handle';
export { Sweeper, type SweepResult, type SweeperOptions } from './sweeper';
export { productUsage, usageSummary, USAGE_GROUPS, type UsageFilter, type UsageGroup, type UsageRow } from './usage';
