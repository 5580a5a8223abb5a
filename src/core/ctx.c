/* The call context: errors recorded for the user, errno <-> HTTP status. */
#include "core.h"

#include <string.h>
#include <strings.h>

static const struct {
    int status;
    int err;
    const char *reason;
} nb_status_map[] = {
    {400, -EINVAL, "Bad Request"},
    {401, -EPERM, "Unauthorized"},
    {403, -EACCES, "Forbidden"},
    {404, -ENOENT, "Not Found"},
    {405, -EOPNOTSUPP, "Method Not Allowed"},
    {406, -ENOPROTOOPT, "Not Acceptable"},
    {409, -EEXIST, "Conflict"},
    {410, -EIDRM, "Gone"},
    {411, -ENODATA, "Length Required"},
    {412, -ECANCELED, "Precondition Failed"},
    {413, -E2BIG, "Request Entity Too Large"},
    {415, -EPROTO, "Unsupported Media Type"},
    {416, -ERANGE, "Requested Range Not Satisfiable"},
    {422, -EBADMSG, "Unprocessable Entity"},
    {429, -EAGAIN, "Too Many Requests"},
    {500, -EIO, "Internal Server Error"},
    {501, -ENOSYS, "Not Implemented"},
    {503, -EBUSY, "Service Unavailable"},
};

int nb_status_to_errno(int status)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_status_map); i++)
        if (nb_status_map[i].status == status)
            return nb_status_map[i].err;
    return -EIO;
}

int nb_errno_to_status(int err)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_status_map); i++)
        if (nb_status_map[i].err == err)
            return nb_status_map[i].status;
    return 500;
}

const char *nb_http_reason(int status)
{
    static const struct { int s; const char *r; } extra[] = {
        {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
        {206, "Partial Content"}, {300, "Multiple Choices"},
        {304, "Not Modified"},
    };
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_status_map); i++)
        if (nb_status_map[i].status == status)
            return nb_status_map[i].reason;
    for (size_t i = 0; i < NB_ARRAY_SIZE(extra); i++)
        if (extra[i].s == status)
            return extra[i].r;
    return "Error";
}

int nb_err_set(struct nb_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    if (ctx && !ctx->err_status) {
        ctx->err_status = status;
        va_start(ap, fmt);
        vsnprintf(ctx->err_msg, sizeof(ctx->err_msg), fmt, ap);
        va_end(ap);
    }
    return nb_status_to_errno(status);
}

bool nb_caller_has_role(const struct nb_caller *c, const char *name)
{
    for (int i = 0; i < c->nroles; i++)
        if (strcasecmp(c->roles[i].name, name) == 0)
            return true;
    return false;
}
