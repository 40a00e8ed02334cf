#ifndef CMICROHTTPD_SHIM_H
#define CMICROHTTPD_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/// The callback of MHD_OPTION_URI_LOG_CALLBACK: the raw request target, before anything
/// decodes or cuts it; what it returns becomes the request's `*con_cls`.
typedef void *(*cmhd_uri_logger)(void *cls, const char *uri, struct MHD_Connection *connection);

/// The callback of MHD_OPTION_UNESCAPE_CALLBACK: rewrites `text` in place, returns its length.
typedef size_t (*cmhd_unescaper)(void *cls, struct MHD_Connection *connection, char *text);

/// Fixed-arity wrapper for the variadic MHD_start_daemon with the options Herald uses.
/// Every callback gets the same `cls`.
static inline struct MHD_Daemon *cmhd_start(unsigned int flags,
                                            MHD_AccessHandlerCallback handler, void *cls,
                                            MHD_RequestCompletedCallback completed,
                                            MHD_NotifyConnectionCallback connection_notifier,
                                            cmhd_uri_logger uri_logger,
                                            cmhd_unescaper unescaper,
                                            const struct sockaddr *address,
                                            unsigned int connection_limit,
                                            unsigned int per_ip_connection_limit,
                                            unsigned int connection_timeout_seconds,
                                            unsigned int listen_backlog,
                                            unsigned int thread_pool_size) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, cls,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
                            MHD_OPTION_NOTIFY_CONNECTION, connection_notifier, cls,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_logger, cls,
                            MHD_OPTION_UNESCAPE_CALLBACK, unescaper, cls,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, listen_backlog,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_END);
}

/// Fixed-arity wrapper for MHD_get_daemon_info(MHD_DAEMON_INFO_BIND_PORT).
static inline uint16_t cmhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// Fixed-arity wrapper for MHD_get_connection_info(MHD_CONNECTION_INFO_CLIENT_ADDRESS).
static inline const struct sockaddr *cmhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// Fixed-arity wrapper for MHD_get_connection_info(MHD_CONNECTION_INFO_CONNECTION_FD).
static inline int cmhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/// Fixed-arity wrapper for MHD_get_connection_info(MHD_CONNECTION_INFO_SOCKET_CONTEXT): what
/// the MHD_OPTION_NOTIFY_CONNECTION callback stored for the connection.
static inline void *cmhd_socket_context(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}
#endif
