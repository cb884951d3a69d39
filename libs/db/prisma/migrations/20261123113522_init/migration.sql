-- CreateEnum
CREATE TYPE "learning_state" AS ENUM ('pending', 'queued', 'learning', 'learned', 'failed');

-- CreateEnum
CREATE TYPE "review_category" AS ENUM ('vip', 'standard', 'short');

-- CreateEnum
CREATE TYPE "stage_status" AS ENUM ('pending', 'queued', 'done', 'failed');

-- CreateEnum
CREATE TYPE "five_w" AS ENUM ('who', 'when', 'where', 'what', 'why');

-- CreateEnum
CREATE TYPE "sentiment" AS ENUM ('positive', 'negative', 'neutral', 'mixed');

-- CreateEnum
CREATE TYPE "report_status" AS ENUM ('pending', 'ready', 'failed');

-- CreateEnum
CREATE TYPE "upload_status" AS ENUM ('received', 'processed', 'failed');

-- CreateEnum
CREATE TYPE "learning_reason" AS ENUM ('new', 'manual', 'grown', 'quiet', 'sweeper');

-- CreateEnum
CREATE TYPE "learning_job_status" AS ENUM ('queued', 'running', 'done', 'failed');

-- CreateTable
CREATE TABLE "products" (
    "asin" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL DEFAULT 'US',
    "title" TEXT,
    "bullet_points" JSONB NOT NULL DEFAULT '[]',
    "bullet_points_zh" JSONB,
    "bullets_translate_status" "stage_status" NOT NULL DEFAULT 'pending',
    "bullets_translate_attempts" INTEGER NOT NULL DEFAULT 0,
    "bullets_translate_queued_at" TIMESTAMPTZ(3),
    "bullets_translate_error" TEXT,
    "learning_state" "learning_state" NOT NULL DEFAULT 'pending',
    "learning_version" INTEGER NOT NULL DEFAULT 0,
    "learned_at" TIMESTAMPTZ(3),
    "learned_review_count" INTEGER NOT NULL DEFAULT 0,
    "review_count" INTEGER NOT NULL DEFAULT 0,
    "last_upload_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "products_pkey" PRIMARY KEY ("asin")
);

-- CreateTable
CREATE TABLE "reviews" (
    "id" SERIAL NOT NULL,
    "asin" TEXT NOT NULL,
    "review_id" TEXT NOT NULL,
    "rating" INTEGER NOT NULL,
    "title" TEXT,
    "body" TEXT NOT NULL,
    "author" TEXT,
    "review_date" TEXT,
    "helpful_votes" INTEGER NOT NULL DEFAULT 0,
    "verified" BOOLEAN,
    "category" "review_category" NOT NULL,
    "body_length" INTEGER NOT NULL,
    "upload_id" TEXT NOT NULL,
    "title_zh" TEXT,
    "body_zh" TEXT,
    "translate_status" "stage_status" NOT NULL DEFAULT 'pending',
    "translate_attempts" INTEGER NOT NULL DEFAULT 0,
    "translate_queued_at" TIMESTAMPTZ(3),
    "translate_done_at" TIMESTAMPTZ(3),
    "translate_last_error" TEXT,
    "insight_status" "stage_status" NOT NULL DEFAULT 'pending',
    "insight_attempts" INTEGER NOT NULL DEFAULT 0,
    "insight_queued_at" TIMESTAMPTZ(3),
    "insight_done_at" TIMESTAMPTZ(3),
    "insight_last_error" TEXT,
    "theme_status" "stage_status" NOT NULL DEFAULT 'pending',
    "theme_attempts" INTEGER NOT NULL DEFAULT 0,
    "theme_queued_at" TIMESTAMPTZ(3),
    "theme_done_at" TIMESTAMPTZ(3),
    "theme_last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dimensions" (
    "id" SERIAL NOT NULL,
    "asin" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "learning_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dimensions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "labels" (
    "id" SERIAL NOT NULL,
    "asin" TEXT NOT NULL,
    "category" "five_w" NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "learning_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "labels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "insights" (
    "id" SERIAL NOT NULL,
    "review_pk" INTEGER NOT NULL,
    "asin" TEXT NOT NULL,
    "dimension_id" INTEGER NOT NULL,
    "sentiment" "sentiment" NOT NULL,
    "quote" TEXT NOT NULL,
    "analysis" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "learning_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "insights_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "themes" (
    "id" SERIAL NOT NULL,
    "review_pk" INTEGER NOT NULL,
    "asin" TEXT NOT NULL,
    "category" "five_w" NOT NULL,
    "label_id" INTEGER NOT NULL,
    "quote" TEXT NOT NULL,
    "learning_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "themes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reports" (
    "id" TEXT NOT NULL,
    "asin" TEXT NOT NULL,
    "status" "report_status" NOT NULL DEFAULT 'pending',
    "content" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ready_at" TIMESTAMPTZ(3),

    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uploads" (
    "id" TEXT NOT NULL,
    "asin" TEXT NOT NULL,
    "received" INTEGER NOT NULL,
    "inserted" INTEGER NOT NULL DEFAULT 0,
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "status" "upload_status" NOT NULL DEFAULT 'received',
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "learning_jobs" (
    "id" TEXT NOT NULL,
    "asin" TEXT NOT NULL,
    "reason" "learning_reason" NOT NULL,
    "status" "learning_job_status" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "learning_version" INTEGER,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "learning_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "llm_usage" (
    "id" SERIAL NOT NULL,
    "service" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "asin" TEXT NOT NULL DEFAULT '',
    "day" DATE NOT NULL,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "llm_usage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "products_learning_state_updated_at_idx" ON "products"("learning_state", "updated_at");

-- CreateIndex
CREATE INDEX "reviews_asin_id_idx" ON "reviews"("asin", "id");

-- CreateIndex
CREATE INDEX "reviews_asin_translate_status_idx" ON "reviews"("asin", "translate_status");

-- CreateIndex
CREATE INDEX "reviews_asin_insight_status_idx" ON "reviews"("asin", "insight_status");

-- CreateIndex
CREATE INDEX "reviews_asin_theme_status_idx" ON "reviews"("asin", "theme_status");

-- CreateIndex
CREATE INDEX "reviews_translate_status_translate_queued_at_idx" ON "reviews"("translate_status", "translate_queued_at");

-- CreateIndex
CREATE INDEX "reviews_insight_status_insight_queued_at_idx" ON "reviews"("insight_status", "insight_queued_at");

-- CreateIndex
CREATE INDEX "reviews_theme_status_theme_queued_at_idx" ON "reviews"("theme_status", "theme_queued_at");

-- CreateIndex
CREATE UNIQUE INDEX "reviews_asin_review_id_key" ON "reviews"("asin", "review_id");

-- CreateIndex
CREATE UNIQUE INDEX "dimensions_asin_name_key" ON "dimensions"("asin", "name");

-- CreateIndex
CREATE UNIQUE INDEX "labels_asin_category_name_key" ON "labels"("asin", "category", "name");

-- CreateIndex
CREATE INDEX "insights_asin_dimension_id_idx" ON "insights"("asin", "dimension_id");

-- CreateIndex
CREATE INDEX "insights_dimension_id_idx" ON "insights"("dimension_id");

-- CreateIndex
CREATE UNIQUE INDEX "insights_review_pk_position_key" ON "insights"("review_pk", "position");

-- CreateIndex
CREATE INDEX "themes_asin_category_label_id_idx" ON "themes"("asin", "category", "label_id");

-- CreateIndex
CREATE INDEX "themes_label_id_idx" ON "themes"("label_id");

-- CreateIndex
CREATE UNIQUE INDEX "themes_review_pk_category_label_id_key" ON "themes"("review_pk", "category", "label_id");

-- CreateIndex
CREATE INDEX "reports_asin_created_at_idx" ON "reports"("asin", "created_at");

-- CreateIndex
CREATE INDEX "reports_status_created_at_idx" ON "reports"("status", "created_at");

-- CreateIndex
CREATE INDEX "uploads_asin_created_at_idx" ON "uploads"("asin", "created_at");

-- CreateIndex
CREATE INDEX "uploads_status_created_at_idx" ON "uploads"("status", "created_at");

-- CreateIndex
CREATE INDEX "learning_jobs_asin_created_at_idx" ON "learning_jobs"("asin", "created_at");

-- CreateIndex
CREATE INDEX "learning_jobs_status_created_at_idx" ON "learning_jobs"("status", "created_at");

-- CreateIndex
CREATE INDEX "llm_usage_day_idx" ON "llm_usage"("day");

-- CreateIndex
CREATE UNIQUE INDEX "llm_usage_service_model_asin_day_key" ON "llm_usage"("service", "model", "asin", "day");

-- AddForeignKey
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dimensions" ADD CONSTRAINT "dimensions_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "labels" ADD CONSTRAINT "labels_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "insights" ADD CONSTRAINT "insights_review_pk_fkey" FOREIGN KEY ("review_pk") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "insights" ADD CONSTRAINT "insights_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "insights" ADD CONSTRAINT "insights_dimension_id_fkey" FOREIGN KEY ("dimension_id") REFERENCES "dimensions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "themes" ADD CONSTRAINT "themes_review_pk_fkey" FOREIGN KEY ("review_pk") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "themes" ADD CONSTRAINT "themes_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "themes" ADD CONSTRAINT "themes_label_id_fkey" FOREIGN KEY ("label_id") REFERENCES "labels"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reports" ADD CONSTRAINT "reports_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "learning_jobs" ADD CONSTRAINT "learning_jobs_asin_fkey" FOREIGN KEY ("asin") REFERENCES "products"("asin") ON DELETE CASCADE ON UPDATE CASCADE;
