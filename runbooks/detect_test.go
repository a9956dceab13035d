package runbooks

import "testing"

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		code string
		why  string
	}{
		{Bash, "kubectl rollout undo deployment/api -n agent-platform", "kubectl rollout undo"},
		{Bash, "kubectl -n {namespace} rollout restart deployment/{deployment}", "kubectl rollout restart"},
		{Bash, "kubectl rollout history deployment/api", ""},
		{Bash, "kubectl rollout status deployment/api", ""},
		{Bash, "kubectl delete pod api-1", "kubectl delete"},
		{Bash, "kubectl scale deployment/api --replicas=5", "kubectl scale"},
		{Bash, "kubectl scale deployment/api --replicas 0", "kubectl scale to 0 replicas"},
		{Bash, "kubectl scale --replicas=0 deployment/worker", "kubectl scale to 0 replicas"},
		{Bash, "kubectl drain node-1 --ignore-daemonsets", "kubectl drain"},
		{Bash, "kubectl cordon node-1", "kubectl cordon"},
		{Bash, "kubectl taint nodes n1 key=v:NoSchedule", "kubectl taint"},
		{Bash, "kubectl set env deployment/agent-runtime FALLBACK_LLM_ENABLED=true", "kubectl set env"},
		{Bash, "kubectl set image deployment/api api=api:v2", "kubectl set image"},
		{Bash, "kubectl --context prod patch deploy api -p '{}'", "kubectl patch"},
		{Bash, "kubectl apply -f x.yaml", "kubectl apply"},
		{Bash, "kubectl label pod x a=b", "kubectl label"},
		{Bash, "kubectl get pods -n agent-platform", ""},
		{Bash, "kubectl logs deployment/api --tail=100 | grep delete", ""},
		{Bash, "kubectl exec deployment/api -- rm -rf /data", "kubectl exec: rm -r"},
		{Bash, "kubectl exec deployment/api -- python -c 'print(1)'", ""},
		{Bash, "# kubectl delete pod x\nkubectl get pods", ""},
		{Bash, "echo 'kubectl delete pod x'", ""},
		{Bash, "for p in $(kubectl get pods -o name); do kubectl delete $p; done", "kubectl delete"},
		{Bash, "kubectl get pods -o name | xargs -n1 kubectl delete", "kubectl delete"},
		{Bash, "sudo timeout 30s kubectl drain n1", "kubectl drain"},
		{Bash, "aws rds describe-db-instances --db-instance-identifier x", ""},
		{Bash, "aws rds failover-db-cluster --db-cluster-identifier x", "aws rds failover-db-cluster"},
		{Bash, "aws --region eu-west-1 rds reboot-db-instance --db-instance-identifier x --force-failover", "aws rds reboot-db-instance"},
		{Bash, "aws rds modify-db-instance --db-instance-identifier x", "aws rds modify-db-instance"},
		{Bash, "aws ec2 stop-instances --instance-ids i-1", "aws ec2 stop-instances"},
		{Bash, "aws s3 rm s3://b/k", "aws s3 rm"},
		{Bash, "aws s3 ls s3://b", ""},
		{Bash, "rm -rf /tmp/cache", "rm -r"},
		{Bash, "rm /tmp/x.lock", "rm"},
		{Bash, `psql -h $DB_HOST -U postgres -c "SELECT count(*) FROM pg_stat_activity;"`, ""},
		{Bash, `psql -h $DB_HOST -c "DELETE FROM sessions WHERE expired"`, "psql: DELETE"},
		{Bash, `psql --command="select pg_terminate_backend(42)"`, "psql: pg_terminate_backend"},
		{Bash, "psql <<EOF\nDROP TABLE t;\nEOF", "psql: DROP"},
		{Bash, "helm rollback api 3", "helm rollback"},
		{Bash, "helm list", ""},
		{Bash, "systemctl restart nginx", "systemctl restart"},
		{Bash, "curl -s localhost:9090/api/v1/query --data-urlencode 'query=up' | jq", ""},
		{Bash, "kubectl delete pod \"unterminated", "kubectl delete"}, // the fallback reader
		{SQL, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"},
		{SQL, "select PG_CANCEL_BACKEND(42);", "pg_cancel_backend"},
		{SQL, "UPDATE users SET is_active = FALSE WHERE id = '{user_id}';", "UPDATE"},
		{SQL, "delete from t", "DELETE"},
		{SQL, "SELECT 1; DROP TABLE t;", "DROP"},
		{SQL, "TRUNCATE audit_logs", "TRUNCATE"},
		{SQL, "ALTER SYSTEM SET work_mem = '64MB'", "ALTER"},
		{SQL, "INSERT INTO t VALUES (1)", "INSERT"},
		{SQL, "GRANT SELECT ON t TO bob", "GRANT"},
		{SQL, "REVOKE ALL ON t FROM bob", "REVOKE"},
		{SQL, "CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE"},
		{SQL, "WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone", "DELETE"},
		{SQL, "EXPLAIN ANALYZE UPDATE t SET a = 1", "UPDATE"},
		{SQL, "SELECT * FROM t FOR UPDATE", ""},
		{SQL, "SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle'", ""},
		{SQL, "SELECT 'DELETE FROM t' AS q, \"update\" FROM t -- DROP TABLE t\n/* TRUNCATE t */", ""},
		{SQL, "SELECT updated_at, deleted FROM t", ""},
		{SQL, "SELECT $$ DROP TABLE t $$, $x$;DELETE$x$", ""},
		{SQL, "SELECT 'it''s'; DELETE FROM t", "DELETE"},
		{PromQL, "sum by (status) (rate(http_requests_total[5m]))", ""},
		{PromQL, "delete", ""},
	} {
		det, why := Detect(tc.lang, tc.code)
		if why != tc.why || det != (tc.why != "") {
			t.Errorf("Detect(%s, %q) = %v %q, want %q", tc.lang, tc.code, det, why, tc.why)
		}
	}
}
