terraform {
  # No providers: plain expressions only, so `terraform init` and `terraform test` run offline.
  required_version = ">= 1.11.1"
}
