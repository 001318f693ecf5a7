//! Small reads of the study and site tables that the surfaces need beside
//! the patients' courses: which sites exist, their names and studies (the
//! web's site choices, `netra lines` per study, a study file's `[data]
//! study`, `netra patient show`).

use netra_clinical::registry::schema::Entity;
use sqlx::Row;

use crate::{Registry, StoreError, sql};

/// A site row with its study's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteInfo {
    /// The site code.
    pub site: String,
    /// The site's name.
    pub name: String,
    /// The code of the study the site belongs to.
    pub study: String,
    /// That study's title.
    pub study_title: String,
}

impl Registry {
    /// Every site with its study, in byte order of the site code.
    pub async fn sites(&self) -> Result<Vec<SiteInfo>, StoreError> {
        let q = format!(
            "SELECT site.site, site.name, study.study, study.title FROM site \
             JOIN study ON study.study = site.study {}",
            sql::order_by_key(Entity::Site.spec(), self.backend())
        );
        let rows = sqlx::query(&q).fetch_all(&self.pool).await?;
        rows.iter().map(site_from_row).collect()
    }

    /// One site with its study, or `None` for an unknown code.
    pub async fn site(&self, code: &str) -> Result<Option<SiteInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT site.site, site.name, study.study, study.title FROM site \
             JOIN study ON study.study = site.study WHERE site.site = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(site_from_row).transpose()
    }

    /// True when the site exists.
    pub async fn site_exists(&self, code: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM site WHERE site = $1")
            .bind(code)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }
}

fn site_from_row(r: &sqlx::any::AnyRow) -> Result<SiteInfo, StoreError> {
    Ok(SiteInfo {
        site: r.try_get(0)?,
        name: r.try_get(1)?,
        study: r.try_get(2)?,
        study_title: r.try_get(3)?,
    })
}
