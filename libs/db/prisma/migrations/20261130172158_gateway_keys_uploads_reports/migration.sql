-- CreateEnum
CREATE TYPE "webhook_state" AS ENUM ('none', 'pending', 'delivered', 'failed');

-- AlterTable
ALTER TABLE "reports" ADD COLUMN     "data_version" TEXT;

-- CreateTable
CREATE TABLE "gateway_uploads" (
    "id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "asin" TEXT NOT NULL,
    "reviews" INTEGER NOT NULL,
    "parts" INTEGER NOT NULL,
    "new_parts" INTEGER[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "webhook_state" "webhook_state" NOT NULL DEFAULT 'none',
    "webhook_attempts" INTEGER NOT NULL DEFAULT 0,
    "webhook_next_at" TIMESTAMPTZ(3),
    "webhook_last_error" TEXT,

    CONSTRAINT "gateway_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key_webhooks" (
    "key_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "api_key_webhooks_pkey" PRIMARY KEY ("key_id")
);

-- CreateIndex
CREATE INDEX "gateway_uploads_key_id_created_at_idx" ON "gateway_uploads"("key_id", "created_at");

-- CreateIndex
CREATE INDEX "gateway_uploads_webhook_state_webhook_next_at_idx" ON "gateway_uploads"("webhook_state", "webhook_next_at");

-- CreateIndex
CREATE INDEX "reviews_upload_id_idx" ON "reviews"("upload_id");
