-- DropIndex
DROP INDEX "llm_usage_service_model_asin_day_key";

-- AlterTable
ALTER TABLE "llm_usage" ADD COLUMN     "cached_tokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cost" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "limit_tokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "stage" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "llm_usage_asin_day_idx" ON "llm_usage"("asin", "day");

-- CreateIndex
CREATE UNIQUE INDEX "llm_usage_service_model_stage_asin_day_key" ON "llm_usage"("service", "model", "stage", "asin", "day");
