/*
 * emit_package.c — the npm_package entity and the relationships that start
 * from a package: account HAS package, user MANAGES package, CodeRepo
 * PUBLISHED package (mapped), package ALLOWS user.
 *
 * A package is written as soon as its document is read (the document is
 * then dropped), or at the end when it has none. Its maintainers' and
 * publisher's emails go to their users, which are written later.
 *
 * Supply chain: what the document says about how the latest version was
 * published (trust, install scripts, first-time publisher) is written
 * with the entity. What comes later in the dump — the attestation's
 * provenance facts and the advisory counts — is kept in the package's join
 * entry (a few words) and added as the entity is copied out
 * (emit_package_amend, graph.h). The PUBLISHED mapping depends on the
 * attestation, so it is written at the end (emit_published), from the
 * repository names kept for it.
 */
#include "emit.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

/* The document's people are users: maintainers are made users, and a
 * publisher who is already one lends it the email. */
static void join_people(struct model *m, const struct pkgfacts *f)
{
    for (size_t i = 0; i < f->maintainers.n; i++) {
        struct user *u = join_user(&m->j, f->maintainers.v[i]);
        const char *em = f->maintainer_email.v[i];
        if (em[0])
            strlist_add_unique(&u->emails, em, strlen(em));
    }
    struct user *u = f->publisher_email.len ? join_find_user(&m->j, f->publisher.p) : NULL;
    if (u)
        strlist_add_unique(&u->emails, f->publisher_email.p, strlen(f->publisher_email.p));
}

/* How the latest version was published, as the document says. */
static void supply_props(struct model *m, struct jw *w, const struct pkgfacts *f)
{
    if (f->have_trust) {
        jw_kbool(w, "provenance", f->provenance);
        jw_kbool(w, "trustedPublishing", f->trusted);
        jw_kstr(w, "latestTrust", pkg_trust_name(f->latest_trust));
        jw_kint(w, "versionsWithProvenance", f->with_provenance);
    }
    if (f->downgrade >= 0)
        jw_kbool(w, "trustDowngrade", f->downgrade == 1);
    if (f->has_install_script >= 0) {
        jw_kbool(w, "hasInstallScript", f->has_install_script == 1);
        jw_key(w, "installScripts");
        str_array(w, &f->install_scripts);
    }
    if (f->first_time_publisher >= 0)
        jw_kbool(w, "firstTimePublisher", f->first_time_publisher == 1);
    if (f->publisher.len && m->roster_known) {
        const struct user *u = join_find_user(&m->j, f->publisher.p);
        jw_kbool(w, "publisherIsOrgMember", u && u->member);
    }
}

/* What the document says (doc may be NULL). */
static void doc_props(struct model *m, struct jw *w, const struct pkgdoc *doc, struct pkgfacts *f)
{
    if (doc && doc->latest)
        jw_kstr(w, "version", doc->latest_name.p);
    if (f->description.len)
        jw_kstr(w, "description", f->description.p);
    if (f->license.len)
        jw_kstr(w, "license", f->license.p);
    if (f->homepage.len)
        jw_kstr(w, "homepage", f->homepage.p);
    if (f->keywords.n) {
        jw_key(w, "keywords");
        str_array(w, &f->keywords);
    }
    if (f->have_repo_url) {
        jw_key(w, "repository");
        jw_strn(w, f->repo_url.p, f->repo_url.len);
    }
    if (f->repo.kind == REPO_MAPPED) {
        jw_kstr(w, "repositoryHost", f->repo.host);
        jw_kstr(w, "repositoryOwner", f->repo.owner);
        jw_kstr(w, "repositoryName", f->repo.name);
    }
    if (f->repo_dir.len)
        jw_kstr(w, "repositoryDirectory", f->repo_dir.p);
    if (f->created >= 0)
        jw_kint(w, "createdOn", f->created);
    if (f->modified >= 0)
        jw_kint(w, "updatedOn", f->modified);
    if (f->published >= 0)
        jw_kint(w, "publishedOn", f->published);
    if (!doc)
        return;
    if (!f->deprecated_bad && !f->versions_bad) {
        jw_kbool(w, "deprecated", f->deprecated);
        if (f->deprecated && f->deprecation.len)
            jw_kstr(w, "deprecationMessage", f->deprecation.p);
    }
    if (!f->versions_bad)
        jw_kint(w, "versionCount", (long long)doc->nvers);
    if (!f->maintainers_bad) {
        emit_sort(&f->maintainers);
        jw_key(w, "maintainers");
        str_array(w, &f->maintainers);
        emit_sort(&f->maintainer_emails);
        jw_key(w, "maintainerEmails");
        str_array(w, &f->maintainer_emails);
    } else {
        /* The MANAGES edges made are true, the missing ones unknown. */
        m->partial |= TB(T_USER_MANAGES_PACKAGE);
    }
    if (f->publisher.len)
        jw_kstr(w, "publisher", f->publisher.p);
    if (f->publisher_email.len)
        jw_kstr(w, "publisherEmail", f->publisher_email.p);
    supply_props(m, w, f);
}

/* What the org's lists say. */
static void list_props(struct model *m, struct jw *w, const struct package *p)
{
    if (p->collab_known) {
        jw_kint(w, "collaboratorCount", p->n_collab);
        jw_kint(w, "readWriteCollaboratorCount", p->n_write);
        jw_kint(w, "readOnlyCollaboratorCount", p->n_read);
        jw_kint(w, "directCollaboratorCount", p->n_direct);
        if (m->roster_known)
            jw_kint(w, "outsideCollaboratorCount", p->n_outside);
    }
}

static void package_raw(struct jw *w, const struct package *p, const struct pkgdoc *doc)
{
    jw_key(w, "_rawData");
    jw_arr(w);
    raw_begin(w, "default");
    jw_obj(w);
    jw_kstr(w, "name", p->name);
    jw_key(w, "access");
    jw_str(w, p->access);
    jw_key(w, "public");
    if (p->visibility >= 0)
        jw_bool(w, p->visibility == 1);
    else
        jw_null(w);
    jw_obj_end(w);
    jw_obj_end(w);
    if (doc) {
        raw_begin(w, "packument");
        pkgdoc_write_trimmed(w, doc);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static int rel_published(struct model *m, const char *pkg_key, const char *owner, const char *name,
                         const char *source, struct err *e)
{
    const enum gtype t = T_REPO_PUBLISHED_PACKAGE;
    struct buf key = BUF_INIT;
    struct jw w;
    emit_key(&key, t, pkg_key);
    buf_reset(&m->obj);
    jw_init(&w, &m->obj);
    jw_obj(&w);
    jw_kstr(&w, "_key", key.p);
    jw_kstr(&w, "_type", gtypes[t].type);
    jw_kstr(&w, "_class", gtypes[t].cls);
    jw_kstr(&w, "displayName", gtypes[t].cls);
    jw_key(&w, "_mapping");
    jw_obj(&w);
    jw_kstr(&w, "relationshipDirection", "REVERSE");
    jw_kstr(&w, "sourceEntityKey", pkg_key);
    jw_key(&w, "targetFilterKeys");
    jw_arr(&w);
    jw_arr(&w);
    jw_str(&w, "_class");
    jw_str(&w, "name");
    jw_str(&w, "owner");
    jw_arr_end(&w);
    jw_arr_end(&w);
    jw_key(&w, "targetEntity");
    jw_obj(&w);
    jw_kstr(&w, "_class", "CodeRepo");
    jw_kstr(&w, "name", name);
    jw_kstr(&w, "owner", owner);
    jw_obj_end(&w);
    jw_kbool(&w, "skipTargetCreation", true);
    jw_obj_end(&w);
    jw_kstr(&w, "mappingSource", source);
    int rc = obj_finish(m, &w, t, key.p, e);
    buf_free(&key);
    return rc;
}

/* The repository that published it (written at the end, emit_published):
 * the provenance's, bound to the release when it was built; else the
 * document's `repository`; the official integration's guess (bare name,
 * owner = org) only when the document names none — one it names but we
 * cannot read gets no mapping, since a wrong one is believed. Without the
 * document we cannot know: nothing is written and the type is partial.
 * Here the document's part is kept for then. */
static void repo_rel(struct model *m, struct package *p, const char *full, const struct pkgfacts *f,
                     bool answered)
{
    if (f->repo_redacted)
        log_warn("package '%s': its repository URL holds credentials or a query; they are left out",
                 full);
    if (f->repo.kind == REPO_UNKNOWN || f->repo.kind == REPO_GIST)
        log_warn("package '%s': its repository %s; no repository mapping%s", full, f->repo.why,
                 f->repo_bad_shape ? " (marked partial)" : "");
    if (f->repo_bad_shape) /* the field is malformed: its mapping is not known to be absent */
        m->partial |= TB(T_PACKAGE) | TB(T_REPO_PUBLISHED_PACKAGE);
    p->published_decided = answered;
    p->repo_kind = (unsigned char)f->repo.kind;
    if (f->repo.kind == REPO_MAPPED) {
        p->repo_host = xstrdup(f->repo.host);
        p->repo_owner = xstrdup(f->repo.owner);
        p->repo_name = xstrdup(f->repo.name);
    }
}

int emit_published(struct model *m, const struct package *p, struct err *e)
{
    if (!p->published_decided)
        return 0;
    const char *full = p->name;
    const char *slash = full[0] == '@' ? strchr(full, '/') : NULL;
    const char *bare = slash ? slash + 1 : full;
    struct buf key = BUF_INIT;
    int rc = 0;
    emit_key(&key, T_PACKAGE, full);
    if (p->prov_owner)
        rc = rel_published(m, key.p, p->prov_owner, p->prov_name, "provenance", e);
    else if (p->repo_kind == REPO_MAPPED)
        rc = rel_published(m, key.p, p->repo_owner, p->repo_name, "repository", e);
    else if (p->repo_kind == REPO_NONE)
        rc = rel_published(m, key.p, m->org, bare, "name", e);
    buf_free(&key);
    return rc;
}

static int package_rels(struct model *m, const char *key, const struct pkgfacts *f, struct err *e)
{
    struct buf other = BUF_INIT;
    int rc = -1;
    emit_key(&other, T_ACCOUNT, m->org);
    if (rel_direct(m, T_ACCOUNT_HAS_PACKAGE, other.p, key, NULL, e) < 0)
        goto out;
    for (size_t i = 0; i < f->maintainers.n; i++) {
        emit_key(&other, T_USER, f->maintainers.v[i]);
        if (rel_direct(m, T_USER_MANAGES_PACKAGE, other.p, key, NULL, e) < 0)
            goto out;
    }
    rc = 0;
out:
    buf_free(&other);
    return rc;
}

int emit_package(struct model *m, struct package *p, struct pkgdoc *doc, bool doc_absent,
                 struct err *e)
{
    struct pkgfacts f;
    struct buf key = BUF_INIT;
    struct jw w;
    int rc = -1;
    pkgfacts_init(&f);
    p->emitted = true;
    if (doc) {
        pkgfacts_read(doc, m->where, &f);
        if (f.malformed) /* the package's facts are incomplete */
            m->partial |= TB(T_PACKAGE);
        join_people(m, &f);
        if (doc->latest && !p->latest)
            p->latest = xstrdup(doc->latest_name.p);
        p->att_expected = f.have_trust && f.attestations;
    }
    const char *full = p->name;
    const char *slash = full[0] == '@' ? strchr(full, '/') : NULL;
    const char *bare = slash ? slash + 1 : full;
    emit_key(&key, T_PACKAGE, full);
    ent_begin(m, &w, T_PACKAGE, key.p);
    jw_kstr(&w, "id", full);
    jw_kstr(&w, "name", bare);
    jw_kstr(&w, "displayName", full);
    if (slash) {
        jw_key(&w, "scope");
        jw_strn(&w, full + 1, (size_t)(slash - full - 1));
    }
    if (p->access)
        jw_kstr(&w, "access", p->access);
    if (p->visibility >= 0)
        jw_kbool(&w, "public", p->visibility == 1);
    doc_props(m, &w, doc, &f);
    /* 404, or a document without versions (npm keeps a stub with
     * time.unpublished when a package is unpublished). */
    if (doc_absent || (doc && doc->nvers == 0 && !f.versions_bad))
        jw_kbool(&w, "unpublished", true);
    list_props(m, &w, p);
    ent_weblink(&w, "package/", full);
    ent_tags(m, &w);
    package_raw(&w, p, doc);
    if (obj_finish(m, &w, T_PACKAGE, key.p, e) < 0 || package_rels(m, key.p, &f, e) < 0)
        goto out;
    repo_rel(m, p, full, &f, doc || doc_absent);
    rc = 0;
out:
    pkgfacts_free(&f);
    buf_free(&key);
    return rc;
}

/* package ALLOWS user:
 *   permission      what the collaborator list says;
 *   grant           "direct" — no team of the user grants this much (only
 *                   when every team list was read; unknown otherwise);
 *   teamPermission  the lower permission the user's teams do grant;
 *   orgMember       false for a collaborator from outside the org (only
 *                   when the roster was read). */
int emit_allows_user(struct model *m, const struct package *p, const struct user *u,
                     const char *perm, enum perm team, struct err *e)
{
    const enum gtype t = T_PACKAGE_ALLOWS_USER;
    struct buf from = BUF_INIT, to = BUF_INIT, key = BUF_INIT;
    struct jw w;
    emit_key(&from, T_PACKAGE, p->name);
    emit_key(&to, T_USER, u->name);
    rel_begin(m, &w, &key, t, from.p, to.p);
    jw_kstr(&w, "permission", perm);
    if (model_teams_complete(m))
        jw_kstr(&w, "grant", "direct");
    if (team == PERM_READ)
        jw_kstr(&w, "teamPermission", "read-only");
    if (m->roster_known)
        jw_kbool(&w, "orgMember", u->member);
    int rc = obj_finish(m, &w, t, key.p, e);
    buf_free(&from);
    buf_free(&to);
    buf_free(&key);
    return rc;
}
