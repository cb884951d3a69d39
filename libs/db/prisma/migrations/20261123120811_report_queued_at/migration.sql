-- AlterTable
ALTER TABLE "reports" ADD COLUMN     "queued_at" TIMESTAMPTZ(3);
