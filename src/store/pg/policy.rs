//! Policy values on PostgreSQL.

use postgres::Client;

use super::Error;

pub(crate) fn get(c: &mut Client, key: &str) -> Result<Option<String>, Error> {
    Ok(
        c.query_opt("SELECT value FROM policy WHERE key = $1", &[&key])?
            .map(|r| r.get(0)),
    )
}

pub(crate) fn put(c: &mut Client, key: &str, value: &str) -> Result<(), Error> {
    c.execute(
        "INSERT INTO policy (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}
