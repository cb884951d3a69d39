-- AlterEnum
ALTER TYPE "learning_reason" ADD VALUE 'retry';

-- AlterTable
ALTER TABLE "learning_jobs" ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "published_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "learning_error" TEXT,
ADD COLUMN     "learning_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "learning_retry_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "reviews" ADD COLUMN     "refused_reason" TEXT;

-- AlterTable
ALTER TABLE "uploads" ADD COLUMN     "rejected" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "rejected_reviews" (
    "id" SERIAL NOT NULL,
    "asin" TEXT NOT NULL,
    "review_id" TEXT NOT NULL,
    "upload_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "raw" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rejected_reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rejected_product_fields" (
    "id" SERIAL NOT NULL,
    "asin" TEXT NOT NULL,
    "upload_id" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "raw" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rejected_product_fields_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rejected_reviews_asin_id_idx" ON "rejected_reviews"("asin", "id");

-- CreateIndex
CREATE UNIQUE INDEX "rejected_reviews_upload_id_review_id_key" ON "rejected_reviews"("upload_id", "review_id");

-- CreateIndex
CREATE INDEX "rejected_product_fields_asin_id_idx" ON "rejected_product_fields"("asin", "id");

-- CreateIndex
CREATE UNIQUE INDEX "rejected_product_fields_upload_id_field_key" ON "rejected_product_fields"("upload_id", "field");

-- CreateIndex
CREATE INDEX "products_learning_state_learning_retry_at_idx" ON "products"("learning_state", "learning_retry_at");
