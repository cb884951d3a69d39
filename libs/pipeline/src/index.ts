export { FIVE_W, FIVE_W_TITLES, type FiveW } from './domain';
export { needLlm, needRedis, pipelineDepsFrom, type PipelineDeps } from './deps';
export { DEFAULT_PIPELINE_SETTINGS, pipelineEnv, pipelineSchema, pipelineSettingsFromEnv, type PipelineSettings } from './settings';
export {
  enqueueAnalysis,
  enqueueBullets,
  enqueueTranslation,
  releaseAnalysis,
  requestLearning,
  requestReport,
  type AnalysisStage,
  type ReviewToTranslate,
} from './handover';
export { InvalidCursorError, listReviews, productStatus, type ProductStatus, type ReviewPage, type ReviewView } from './status';
export { renderReportHtml } from './report/render-html';
export type { DimensionSummary, LabelShare, ReportContent } from './report/types';
export { handleIngest, type IngestResult } from './ingest';
export { handleTranslate, type TranslateResult } from './translate';
export { handleLearning, type LearningResult } from './learning';
export { handleInsight } from './insight';
export { handleTheme } from './theme';
export { runAnalysis, type AnalysisResult, type AnalysisSpec } from './analysis';
export { cacheLabelMap, getLabelMap, loadLabelMap, type LabelMap } from './label-cache';
export { buildReport } from './report/build';
export { handleReport } from './report/handle';
export { Sweeper, type SweepResult, type SweeperOptions } from './sweeper';
