terraform {
  # 1.10+: the S3 backend locks with a lock file in the bucket (use_lockfile), no DynamoDB table.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.81"
    }
  }

  backend "s3" {
    bucket       = "odmu-terraform-state-production"
    key          = "production/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
