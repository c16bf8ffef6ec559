//! Paging: following an operation's cursor to the last page, and reading every segment of an
//! account at once.
//!
//! A venue that kept answering with a cursor forever would hang the response, so a read stops
//! with an error after 10,000 pages.

use futures_util::future::join_all;

use super::{Auth, Client};
use crate::exchanges::model::Segment;
use crate::exchanges::{ExchangeError, Op, Page, Reply};

/// The most pages one read follows.
const MAX_PAGES: usize = 10_000;

impl Client {
    /// Follows an operation's cursor until the last page.
    pub async fn all_pages<T>(
        &self,
        make: impl Fn(Option<String>) -> Op,
        auth: Auth<'_>,
        page: impl Fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError> {
        let mut items = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let reply = self.call(&make(cursor.take()), auth).await?;
            let mut current = page(reply)?;
            items.append(&mut current.items);
            match current.next {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
        Err(ExchangeError::Protocol {
            detail: format!("pagination did not end after {MAX_PAGES} pages"),
        })
    }

    /// Runs one paginated read per segment, concurrently, and joins the results.
    pub async fn per_segment<T, F>(
        &self,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let mut items = Vec::new();
        for result in self.each_segment(segments, auth, make, page).await {
            items.extend(result?);
        }
        Ok(items)
    }

    /// Like [`Client::per_segment`], but a segment the key may not read at all (a
    /// [`ExchangeError::Permission`] refusal, such as Binance USD-M for a key without the
    /// futures permission) yields nothing and is named in the second list: a key that cannot
    /// reach a segment cannot have orders or fills there. Any other failure fails the whole.
    pub async fn per_segment_permitted<T, F>(
        &self,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<(Vec<T>, Vec<Segment>), ExchangeError>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let mut items = Vec::new();
        let mut refused = Vec::new();
        let results = self.each_segment(segments, auth, make, page).await;
        for (segment, result) in segments.iter().zip(results) {
            match result {
                Ok(found) => items.extend(found),
                Err(ExchangeError::Permission { .. }) => refused.push(*segment),
                Err(err) => return Err(err),
            }
        }
        Ok((items, refused))
    }

    /// Every segment's paginated read, made at once; the results in the segments' order.
    async fn each_segment<T, F>(
        &self,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Vec<Result<Vec<T>, ExchangeError>>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let make = &make;
        let reads = segments.iter().map(|segment| {
            let segment = *segment;
            self.all_pages(move |cursor| make(segment, cursor), auth, page)
        });
        join_all(reads).await
    }
}
