//! Policy values on PostgreSQL.

use postgres::Client;

use super::Error;

/// Every stored (key, value).
pub(crate) fn all(c: &mut Client) -> Result<Vec<(String, String)>, Error> {
    Ok(c.query("SELECT key, value FROM policy", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

pub(crate) fn put(c: &mut Client, key: &str, value: &str) -> Result<(), Error> {
    c.execute(
        "INSERT INTO policy (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}
