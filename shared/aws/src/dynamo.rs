//! The data lake on DynamoDB: one table per domain (`<prefix><domain>`), keys `pk`/`sk`, the
//! `gsi1` index on `gsi1pk`/`gsi1sk`, TTL on `expires_at`, attributes under `data` (a map,
//! through serde_dynamo). Conditional writes and transactions map to TransactWriteItems.

use ascent_core::agent::Domain;
use ascent_core::ports::{
    Condition, DataLake, INDEX_GSI1, IndexKey, Item, LakeError, Query, SortKey, Write,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use std::collections::HashMap;
use std::time::Duration;

/// DynamoDB's limit on one TransactWriteItems call.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// DynamoDB's limit on one BatchWriteItem call.
pub const MAX_BATCH_ITEMS: usize = 25;

type Attrs = HashMap<String, AttributeValue>;

/// Table naming: `<prefix><domain>` (`ascent-customer`, …).
#[derive(Clone, Debug)]
pub struct Tables {
    pub prefix: String,
}

impl Tables {
    /// From `ASCENT_TABLE_PREFIX` (default `ascent-`).
    pub fn from_env() -> Self {
        Self {
            prefix: std::env::var("ASCENT_TABLE_PREFIX").unwrap_or_else(|_| "ascent-".into()),
        }
    }
    pub fn name(&self, d: Domain) -> String {
        format!("{}{}", self.prefix, d.as_str())
    }
}

/// The DynamoDB data lake.
#[derive(Clone, Debug)]
pub struct DynamoLake {
    client: Client,
    tables: Tables,
}

fn unavailable(e: impl std::fmt::Display) -> LakeError {
    LakeError::Unavailable(e.to_string())
}

/// A failed call on `table`: a missing table is named (DynamoDB's own message does not).
fn on_table(table: &str, e: impl std::fmt::Display) -> LakeError {
    let text = e.to_string();
    if text.contains("ResourceNotFoundException") {
        LakeError::Unavailable(format!("table {table} does not exist: {text}"))
    } else {
        LakeError::Unavailable(text)
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// An item as DynamoDB attributes.
pub fn to_attrs(item: &Item) -> Result<Attrs, LakeError> {
    let mut a: Attrs = HashMap::new();
    a.insert("pk".into(), s(&item.pk));
    a.insert("sk".into(), s(&item.sk));
    if let Some(g) = &item.gsi1 {
        a.insert("gsi1pk".into(), s(&g.pk));
        a.insert("gsi1sk".into(), s(&g.sk));
    }
    if let Some(t) = item.expires_at {
        a.insert("expires_at".into(), AttributeValue::N(t.to_string()));
    }
    let data: AttributeValue = serde_dynamo::to_attribute_value(&item.data).map_err(|e| {
        LakeError::Corrupt(format!(
            "item {}/{} does not convert: {e}",
            item.pk, item.sk
        ))
    })?;
    a.insert("data".into(), data);
    Ok(a)
}

/// DynamoDB attributes as an item.
pub fn from_attrs(mut a: Attrs) -> Result<Item, LakeError> {
    let text = |a: &mut Attrs, k: &str| match a.remove(k) {
        Some(AttributeValue::S(v)) => Ok(Some(v)),
        None => Ok(None),
        Some(_) => Err(LakeError::Corrupt(format!(
            "attribute `{k}` is not a string"
        ))),
    };
    let pk = text(&mut a, "pk")?.ok_or_else(|| LakeError::Corrupt("item without pk".into()))?;
    let sk = text(&mut a, "sk")?.ok_or_else(|| LakeError::Corrupt("item without sk".into()))?;
    let gpk = text(&mut a, "gsi1pk")?;
    let gsk = text(&mut a, "gsi1sk")?;
    let expires_at = match a.remove("expires_at") {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    };
    let data = match a.remove("data") {
        Some(v) => serde_dynamo::from_attribute_value(v)
            .map_err(|e| LakeError::Corrupt(format!("item {pk}/{sk}: {e}")))?,
        None => serde_json::Value::Null,
    };
    Ok(Item {
        pk,
        sk,
        gsi1: gpk.map(|pk| IndexKey {
            pk,
            sk: gsk.unwrap_or_default(),
        }),
        expires_at,
        data,
    })
}

/// A condition expression with its attribute names and values.
type ConditionExpr = (String, Option<HashMap<String, String>>, Option<Attrs>);

/// A condition as (expression, names, values).
fn condition_expr(c: &Condition) -> Result<Option<ConditionExpr>, LakeError> {
    Ok(match c {
        Condition::Always => None,
        Condition::NotExists => Some(("attribute_not_exists(pk)".into(), None, None)),
        Condition::Exists => Some(("attribute_exists(pk)".into(), None, None)),
        Condition::FieldEquals { field, value } => {
            let v: AttributeValue = serde_dynamo::to_attribute_value(value)
                .map_err(|e| LakeError::Corrupt(format!("condition value: {e}")))?;
            Some((
                "#data.#field = :expected".into(),
                Some(HashMap::from([
                    ("#data".into(), "data".into()),
                    ("#field".into(), field.clone()),
                ])),
                Some(HashMap::from([(":expected".into(), v)])),
            ))
        }
    })
}

impl DynamoLake {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    fn transact_item(&self, w: &Write) -> Result<TransactWriteItem, LakeError> {
        match w {
            // DynamoDB takes attribute values: the text is parsed once here.
            Write::PutJson {
                domain,
                item,
                condition,
            } => self.transact_item(&Write::Put {
                domain: *domain,
                item: item.to_item()?,
                condition: condition.clone(),
            }),
            Write::Put {
                domain,
                item,
                condition,
            } => {
                let mut put = Put::builder()
                    .table_name(self.tables.name(*domain))
                    .set_item(Some(to_attrs(item)?));
                if let Some((expr, names, values)) = condition_expr(condition)? {
                    put = put
                        .condition_expression(expr)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values);
                }
                Ok(TransactWriteItem::builder()
                    .put(put.build().map_err(unavailable)?)
                    .build())
            }
            Write::Delete {
                domain,
                pk,
                sk,
                condition,
            } => {
                let mut del = Delete::builder()
                    .table_name(self.tables.name(*domain))
                    .key("pk", s(pk))
                    .key("sk", s(sk));
                if let Some((expr, names, values)) = condition_expr(condition)? {
                    del = del
                        .condition_expression(expr)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values);
                }
                Ok(TransactWriteItem::builder()
                    .delete(del.build().map_err(unavailable)?)
                    .build())
            }
        }
    }

    /// Writes many items of one domain with BatchWriteItem (25 per call), retrying unprocessed
    /// items with backoff until all are in: for batch work that needs no transaction.
    pub async fn put_batch(&self, domain: Domain, items: &[Item]) -> Result<usize, LakeError> {
        let table = self.tables.name(domain);
        let mut written = 0;
        for chunk in items.chunks(MAX_BATCH_ITEMS) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    Ok(WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(to_attrs(i)?))
                                .build()
                                .map_err(unavailable)?,
                        )
                        .build())
                })
                .collect::<Result<_, LakeError>>()?;
            let mut attempt = 0u32;
            while !requests.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&table, requests.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        on_table(&table, aws_sdk_dynamodb::error::DisplayErrorContext(e))
                    })?;
                let left = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&table))
                    .unwrap_or_default();
                written += requests.len() - left.len();
                requests = left;
                if !requests.is_empty() {
                    attempt += 1;
                    if attempt > 8 {
                        return Err(LakeError::Unavailable(format!(
                            "{} items still unprocessed after {attempt} attempts",
                            requests.len()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
                }
            }
        }
        Ok(written)
    }
}

#[async_trait]
impl DataLake for DynamoLake {
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
        let out = self
            .client
            .get_item()
            .table_name(self.tables.name(domain))
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                on_table(
                    &self.tables.name(domain),
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                )
            })?;
        out.item.map(from_attrs).transpose()
    }

    async fn query(&self, domain: Domain, q: &Query) -> Result<Vec<Item>, LakeError> {
        let (pkname, skname) = match q.index.as_deref() {
            None => ("pk", "sk"),
            Some(INDEX_GSI1) => ("gsi1pk", "gsi1sk"),
            Some(other) => return Err(LakeError::UnknownIndex(other.into())),
        };
        let mut expr = "#pk = :pk".to_string();
        let mut names = HashMap::from([("#pk".to_string(), pkname.to_string())]);
        let mut values: Attrs = HashMap::from([(":pk".to_string(), s(&q.pk))]);
        if let Some(sort) = &q.sort {
            names.insert("#sk".into(), skname.into());
            match sort {
                SortKey::BeginsWith(p) => {
                    expr.push_str(" AND begins_with(#sk, :a)");
                    values.insert(":a".into(), s(p));
                }
                SortKey::Between(a, b) => {
                    expr.push_str(" AND #sk BETWEEN :a AND :b");
                    values.insert(":a".into(), s(a));
                    values.insert(":b".into(), s(b));
                }
                SortKey::AtMost(a) => {
                    expr.push_str(" AND #sk <= :a");
                    values.insert(":a".into(), s(a));
                }
                SortKey::AtLeast(a) => {
                    expr.push_str(" AND #sk >= :a");
                    values.insert(":a".into(), s(a));
                }
            }
        }
        let now = chrono::Utc::now().timestamp();
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.tables.name(domain))
                .set_index_name(q.index.clone())
                .key_condition_expression(&expr)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!q.descending)
                .set_limit(q.limit.map(|l| l as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| {
                    on_table(
                        &self.tables.name(domain),
                        aws_sdk_dynamodb::error::DisplayErrorContext(e),
                    )
                })?;
            for a in out.items.unwrap_or_default() {
                let item = from_attrs(a)?;
                if item.is_live(now) {
                    items.push(item);
                }
            }
            if q.limit.is_some_and(|l| items.len() >= l) {
                items.truncate(q.limit.unwrap_or(usize::MAX));
                break;
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn transact(&self, writes: &[Write]) -> Result<(), LakeError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.len() > MAX_TRANSACTION_ITEMS {
            return Err(LakeError::Unavailable(format!(
                "a transaction of {} writes exceeds DynamoDB's {MAX_TRANSACTION_ITEMS}",
                writes.len()
            )));
        }
        let items = writes
            .iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let service = e.as_service_error();
                if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) = service {
                    let reasons = c.cancellation_reasons();
                    if let Some((i, r)) = reasons
                        .iter()
                        .enumerate()
                        .find(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                    {
                        let (pk, sk) = writes[i].key();
                        return Err(LakeError::ConditionFailed {
                            domain: writes[i].domain().as_str().into(),
                            pk: pk.into(),
                            sk: sk.into(),
                            condition: r.message().unwrap_or("conditional check failed").into(),
                        });
                    }
                }
                let mut tables: Vec<String> = writes
                    .iter()
                    .map(|w| self.tables.name(w.domain()))
                    .collect();
                tables.sort();
                tables.dedup();
                Err(on_table(
                    &tables.join(" or "),
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip_through_attributes() {
        let item = Item::new("invoice#1", "invoice", json!({"total": {"amount_minor": 100, "currency": "USD"}, "lines": [1, 2], "note": null}))
            .with_index("invoices#open", "2026-04-01#inv-1")
            .expiring_at(1_800_000_000);
        let attrs = to_attrs(&item).unwrap();
        assert!(matches!(attrs["expires_at"], AttributeValue::N(_)));
        assert_eq!(from_attrs(attrs).unwrap(), item);
    }

    #[test]
    fn table_names_follow_the_prefix() {
        let t = Tables {
            prefix: "ascent-prod-".into(),
        };
        assert_eq!(t.name(Domain::Financial), "ascent-prod-financial");
    }
}
