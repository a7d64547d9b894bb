//! Reading the data lake by key prefix on DynamoDB, which the agents' [`DataLake`] port has no
//! call for (agents read their own keys): a Scan of the domain's table filtered on
//! `begins_with(pk, prefix)`, a page at a time, sorted by partition then sort key. The console
//! reads this way what it lists (approvals, invoices, deals, reports); every page costs a
//! read of the table, which is why the pages that do it are read by people, not by agents.
//!
//! [`DataLake`]: ascent_core::ports::DataLake

use crate::operations::internal;
use ascent_aws::dynamo::{Tables, from_attrs};
use ascent_console::OpsError;
use ascent_core::agent::Domain;
use ascent_core::ports::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// Items a Scan page reads at most.
const PAGE: i32 = 500;

/// Prefix reads of the stack's tables.
#[derive(Clone, Debug)]
pub struct DynamoReader {
    pub client: aws_sdk_dynamodb::Client,
    pub tables: Tables,
}

impl DynamoReader {
    /// The same tables through the agents' port (one item by key).
    pub fn lake(&self) -> ascent_aws::dynamo::DynamoLake {
        ascent_aws::dynamo::DynamoLake::new(self.client.clone(), self.tables.clone())
    }

    /// Every item of `domain` whose partition key starts with `prefix`, whose sort key is `sk`
    /// (when given) and within `range` (inclusive, when given): by partition then sort key, at
    /// most `limit`.
    pub async fn items(
        &self,
        domain: Domain,
        prefix: &str,
        sk: Option<&str>,
        range: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<Item>, OpsError> {
        let table = self.tables.name(domain);
        let mut filter = vec!["begins_with(pk, :prefix)".to_string()];
        let mut values = HashMap::from([(":prefix".to_string(), AttributeValue::S(prefix.into()))]);
        if let Some(sk) = sk {
            filter.push("sk = :sk".into());
            values.insert(":sk".into(), AttributeValue::S(sk.into()));
        }
        if let Some((lo, hi)) = range {
            filter.push("sk BETWEEN :lo AND :hi".into());
            values.insert(":lo".into(), AttributeValue::S(lo.into()));
            values.insert(":hi".into(), AttributeValue::S(hi.into()));
        }
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&table)
                .limit(PAGE)
                .filter_expression(filter.join(" AND "))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| {
                    internal(format!(
                        "scan {table}: {}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    ))
                })?;
            for attrs in page.items.unwrap_or_default() {
                out.push(from_attrs(attrs).map_err(internal)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        out.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
        out.truncate(limit);
        Ok(out)
    }
}
