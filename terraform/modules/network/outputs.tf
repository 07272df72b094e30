output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (the load balancer only)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, endpoints and the database)."
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Public addresses of the NAT gateways (empty without NAT)."
  value       = aws_eip.nat[*].public_ip
}
