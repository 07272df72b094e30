//! Lists (DESIGN.md §3): `?limit=` (default 50, at most 200) and an opaque `?cursor=`,
//! answered as `{"items": [...], "next_cursor": ...}`. Keyset pagination over a stable order
//! (a sort key, then the id), so pages neither skip nor repeat rows while others are written.

use serde::{Deserialize, Serialize};

use crate::Problem;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items one page holds.
pub const MAX_LIMIT: i64 = 200;

/// The query parameters of every list endpoint.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; absent for the first page. Pass it back as
    /// it came: its form is not part of the API.
    #[param(pattern = r"^-?[0-9]{1,18}~[A-Za-z0-9_-]{0,64}$")]
    pub cursor: Option<String>,
}

/// Where a page starts: after the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row of the previous page (e.g. `created_at_ms`).
    pub key: i64,
    /// Its id, which breaks ties between equal keys.
    pub id: String,
}

impl Cursor {
    /// The text a client sends back: `<key>~<id>`. Every text of that form (the documented
    /// pattern) is a valid position in the order, so a cursor can only be refused for its
    /// form, never for what it points at.
    pub fn encode(&self) -> String {
        format!("{}~{}", self.key, self.id)
    }

    fn decode(text: &str) -> Option<Self> {
        let (key, id) = text.split_once('~')?;
        let digits = key.strip_prefix('-').unwrap_or(key);
        let id_ok = id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if digits.is_empty()
            || digits.len() > 18
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || !id_ok
        {
            return None;
        }
        Some(Self {
            key: key.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// A checked page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items on this page, 1 to [`MAX_LIMIT`].
    pub limit: i64,
    /// Rows come after this one; `None` for the first page.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `limit` rows.
    pub fn first(limit: i64) -> Self {
        Self { limit, after: None }
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// The cursor's sort key and id for a `(key, id) < ($n, $m)` condition (newest first);
    /// the first page starts above every row.
    pub fn before(&self) -> (i64, String) {
        match &self.after {
            Some(c) => (c.key, c.id.clone()),
            None => (i64::MAX, String::new()),
        }
    }

    /// Turns the fetched rows (at most [`PageRequest::fetch`]) into a page: `key` gives the
    /// sort key and id of a row, `map` its answer.
    pub fn page<R, T>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> (i64, String),
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(0));
        let next_cursor = more
            .then(|| rows.last().map(&key))
            .flatten()
            .map(|(key, id)| Cursor { key, id }.encode());
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

impl PageQuery {
    /// Checks the limit and decodes the cursor; a bad value is a 422 naming the parameter.
    pub fn parse(&self) -> Result<PageRequest, Problem> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let mut problem = Problem::unprocessable("The page parameters are not valid.");
        if !(1..=MAX_LIMIT).contains(&limit) {
            problem = problem.with_field_error("limit", format!("must be 1 to {MAX_LIMIT}"));
        }
        let after = match self.cursor.as_deref() {
            None => None,
            Some(text) => {
                let cursor = Cursor::decode(text);
                if cursor.is_none() {
                    problem = problem.with_field_error(
                        "cursor",
                        "is not a cursor this list handed out; start again without it",
                    );
                }
                cursor
            }
        };
        if problem.errors.is_empty() {
            Ok(PageRequest { limit, after })
        } else {
            Err(problem)
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_are_bounded_and_cursors_round_trip() {
        assert_eq!(PageQuery::default().parse().unwrap().limit, DEFAULT_LIMIT);
        for bad in [0, -1, 201] {
            let q = PageQuery {
                limit: Some(bad),
                cursor: None,
            };
            assert_eq!(q.parse().unwrap_err().errors[0].field, "limit");
        }
        let cursor = Cursor {
            key: 1_764_000_000_000,
            id: "0b1c6a9e-6b8e-4bd5-9a55-4ad3c1d2e3f4".into(),
        };
        let q = PageQuery {
            limit: Some(2),
            cursor: Some(cursor.encode()),
        };
        assert_eq!(q.parse().unwrap().after, Some(cursor));
        for bad in ["%%%", "12", "~x", "1~a:b", "1234567890123456789~x"] {
            let q = PageQuery {
                limit: None,
                cursor: Some(bad.into()),
            };
            assert_eq!(q.parse().unwrap_err().errors[0].field, "cursor", "{bad}");
        }
        // Any cursor of the documented form is a position, even one never handed out.
        let q = PageQuery {
            limit: None,
            cursor: Some("0~".into()),
        };
        assert!(q.parse().is_ok());
    }

    #[test]
    fn a_page_says_whether_another_follows() {
        let req = PageRequest::first(2);
        let rows = vec![(3, "c"), (2, "b"), (1, "a")];
        let page = req.page(rows, |r| (r.0, r.1.to_owned()), |r| r.1);
        assert_eq!(page.items, ["c", "b"]);
        let next = Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!((next.key, next.id.as_str()), (2, "b"));
        let last = req.page(vec![(1, "a")], |r| (r.0, r.1.to_owned()), |r| r.1);
        assert_eq!(last.next_cursor, None);
    }
}
