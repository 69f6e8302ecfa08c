ALTER TABLE "channels" ADD COLUMN "health_problem" text;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "health_detail" text;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "unhealthy_since" timestamp with time zone;