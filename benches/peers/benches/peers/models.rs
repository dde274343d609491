//! The same two tables declared the way each peer library wants them.

/// SeaORM entities.
pub mod sea {
    /// `users`.
    pub mod user {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "users")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub name: String,
            pub email: String,
            pub score: i64,
            pub bio: Option<String>,
            pub created_at: Option<String>,
            pub updated_at: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `posts`.
    pub mod post {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "posts")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub user_id: i64,
            pub title: String,
            pub body: String,
            pub views: i64,
            pub published: i64,
            pub created_at: Option<String>,
            pub updated_at: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// sqlx row types.
pub mod sqlx_rows {
    /// A `users` row.
    #[derive(Debug, sqlx::FromRow)]
    #[allow(dead_code)]
    pub struct User {
        pub id: i64,
        pub name: String,
        pub email: String,
        pub score: i64,
        pub bio: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }

    /// A `posts` row.
    #[derive(Debug, sqlx::FromRow)]
    #[allow(dead_code)]
    pub struct Post {
        pub id: i64,
        pub user_id: i64,
        pub title: String,
        pub body: String,
        pub views: i64,
        pub published: i64,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }
}

/// Diesel schema and row types.
pub mod diesel_rows {
    use diesel::prelude::*;

    diesel::table! {
        users (id) {
            id -> BigInt,
            name -> Text,
            email -> Text,
            score -> BigInt,
            bio -> Nullable<Text>,
            created_at -> Nullable<Text>,
            updated_at -> Nullable<Text>,
        }
    }

    diesel::table! {
        posts (id) {
            id -> BigInt,
            user_id -> BigInt,
            title -> Text,
            body -> Text,
            views -> BigInt,
            published -> BigInt,
            created_at -> Nullable<Text>,
            updated_at -> Nullable<Text>,
        }
    }

    /// A `users` row.
    #[derive(Debug, Queryable, Selectable)]
    #[diesel(table_name = users)]
    #[allow(dead_code)]
    pub struct User {
        pub id: i64,
        pub name: String,
        pub email: String,
        pub score: i64,
        pub bio: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }

    /// A `posts` row.
    #[derive(Debug, Queryable, Selectable)]
    #[diesel(table_name = posts)]
    #[allow(dead_code)]
    pub struct Post {
        pub id: i64,
        pub user_id: i64,
        pub title: String,
        pub body: String,
        pub views: i64,
        pub published: i64,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }
}
