export { ROOT, startPipeline, type Pipeline, type PipelineOptions } from './pipeline';
export { loadReviewsByProduct, reviewDataPath, toUpload, type DataReview } from './data';
export { GatewayClient, waitFor, type ProductView } from './client';
export { usePipeline, type PipelineFixture } from './fixture';
