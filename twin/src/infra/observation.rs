//! The queue observations on AWS: a schedule every `[schedule] queue_observation_minutes`
//! invokes `schedule-tick` with the window's minutes and every agent's queue class, and the
//! function's role may read those queues' depth (`sqs:GetQueueUrl`, `sqs:GetQueueAttributes`
//! on the agents' queues), the window's CloudWatch sums (`cloudwatch:GetMetricData`, which
//! takes no resource) and put `QueueDepthObserved` from `ascent.system` on the bus.

use super::{get_att, logical, schedule, sub};
use ascent_core::agent::AgentDecl;
use ascent_core::config::platform::Schedule;
use serde_json::{Map, Value, json};

/// Adds the schedule, the grants and the queue prefix to the template's resources.
pub fn apply(r: &mut Map<String, Value>, decls: &[AgentDecl], settings: &Schedule) {
    let queues: Map<String, Value> = decls
        .iter()
        .map(|d| (d.name.to_string(), Value::from(d.queue.as_str())))
        .collect();
    let input = json!({
        "schedule": "queues",
        "at": "<aws.scheduler.scheduled-time>",
        "minutes": settings.queue_observation_minutes,
        "queues": queues,
    });
    let mut observation = schedule(
        "queues",
        "Every agent's queue over the window (QueueDepthObserved for the capacity plan)",
        json!(settings.queue_observation_cron()),
        (3, 600),
    );
    if let Some(target) = observation.pointer_mut("/Properties/Target/Input") {
        *target = Value::String(input.to_string());
    }
    r.insert("QueueObservationSchedule".into(), observation);
    let arns: Vec<Value> = decls
        .iter()
        .map(|d| get_att(&format!("{}Queue", logical(d.name)), "Arn"))
        .collect();
    let grants = [
        json!({"Sid": "ReadQueueDepths", "Effect": "Allow",
               "Action": ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"], "Resource": arns}),
        json!({"Sid": "ReadQueueMetrics", "Effect": "Allow",
               "Action": ["cloudwatch:GetMetricData"], "Resource": "*"}),
        json!({"Sid": "PutQueueObservations", "Effect": "Allow", "Action": ["events:PutEvents"],
               "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.system"],
                                              "events:detail-type": ["QueueDepthObserved"]}}}),
    ];
    if let Some(statements) = r
        .get_mut("ScheduleTickRole")
        .and_then(|role| role.pointer_mut("/Properties/Policies/0/PolicyDocument/Statement"))
        .and_then(Value::as_array_mut)
    {
        statements.extend(grants);
    }
    if let Some(env) = r
        .get_mut("ScheduleTickFunction")
        .and_then(|f| f.pointer_mut("/Properties/Environment/Variables"))
        .and_then(Value::as_object_mut)
    {
        env.insert("ASCENT_QUEUE_PREFIX".into(), sub("ascent-${Stage}-"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_names_every_queue_and_the_role_may_read_them() {
        let decls = crate::agents::declarations();
        let t = crate::infra::template(&decls);
        let s = &t["Resources"]["QueueObservationSchedule"]["Properties"];
        assert_eq!(s["ScheduleExpression"], "cron(0 * * * ? *)");
        let input: Value = serde_json::from_str(s["Target"]["Input"].as_str().unwrap()).unwrap();
        assert_eq!(input["schedule"], "queues");
        assert_eq!(input["minutes"], 60);
        assert_eq!(input["queues"]["support"], "priority");
        assert_eq!(input["queues"]["reporting"], "batch");
        assert_eq!(input["queues"].as_object().unwrap().len(), decls.len());
        let statements = &t["Resources"]["ScheduleTickRole"]["Properties"]["Policies"][0]["PolicyDocument"]
            ["Statement"];
        let sid = |id: &str| {
            statements
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("no {id}"))
        };
        assert_eq!(
            sid("ReadQueueDepths")["Resource"].as_array().unwrap().len(),
            decls.len()
        );
        assert_eq!(
            sid("ReadQueueMetrics")["Action"][0],
            "cloudwatch:GetMetricData"
        );
        assert_eq!(
            sid("PutQueueObservations")["Condition"]["StringEquals"]["events:detail-type"][0],
            "QueueDepthObserved"
        );
        let env = &t["Resources"]["ScheduleTickFunction"]["Properties"]["Environment"]["Variables"];
        assert!(env["ASCENT_QUEUE_PREFIX"].is_object(), "{env}");
    }
}
