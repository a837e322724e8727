/*
 * sftp-hold: the SFTP server of the test sshd, with a hold the fault tests can arm (scripts/test-servers.sh).
 *
 * SSH is encrypted, so no TCP proxy sees SFTP packets; but inside the session the SFTP subsystem is a child of
 * sshd whose stdin/stdout carry the plain protocol (draft-ietf-secsh-filexfer-02: uint32 length, byte type,
 * uint32 request id, ...). sshd runs it, inside the users' chroot, as `<login shell> -c <ForceCommand>`; the
 * chroot's /usr/sbin/nologin is this program (statically linked: the chroot holds no libraries for it), and it
 * runs nothing but /usr/lib/openssh/sftp-server.
 *
 * At start it asks the test's control socket (/.bo-hold/control.sock inside the chroot, test/helpers/sftpHold.ts)
 * what to do. No socket, nobody listening, or "none": it becomes sftp-server itself (execv), so an unarmed
 * session costs one connect(). "arm <type> <nth> [<path prefix>]": it relays the packets both ways and holds
 * the server's reply to the nth request of <type> (0: of any type) in this session (counting only requests
 * whose first field, a path, starts with the prefix), writes "held <type> <id>\n" to the socket and stops relaying in both
 * directions until the test answers "release\n" (the reply goes out, then a plain relay) or "drop\n" (the
 * session's SFTP server ends here, the reply never leaves). The test kills or restarts sshd while it holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVER "/usr/lib/openssh/sftp-server"
#define CONTROL "/.bo-hold/control.sock"
#define MAX_PACKET (1024 * 1024) /* sftp-server refuses more than 256 KiB */

static int control = -1, to_server = -1, from_server = -1;
static pid_t child;
static unsigned arm_type, arm_nth, seen;
static char prefix[1024];
static size_t prefix_len;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int holding, target_set;
static uint32_t target_id;
static unsigned held_type;

static int read_full(int fd, void *buf, size_t n) {
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r == 0) return got == 0 ? 0 : -1;
		if (r < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 1;
}

static int write_full(int fd, const void *buf, size_t n) {
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* one line from the control socket, without its newline; "" on end of file */
static void control_line(char *line, size_t size) {
	size_t n = 0;
	char c;
	while (n + 1 < size && read(control, &c, 1) == 1 && c != '\n') line[n++] = c;
	line[n] = 0;
}

/* the armed request: the right type, and (when a prefix is set) a first field, a path, that starts with it */
static int matches(const unsigned char *p, uint32_t len) {
	if (len < 9 || p[4] == 1 /* INIT: no id */ || (arm_type != 0 && p[4] != arm_type)) return 0;
	if (prefix_len == 0) return 1;
	if (arm_type == 0) return 0; /* a path prefix needs a type whose first field is a path */
	if (len < 13) return 0;
	uint32_t plen = be32(p + 9);
	return plen >= prefix_len && plen <= len - 9 && memcmp(p + 13, prefix, prefix_len) == 0;
}

/* client -> sftp-server, a packet at a time; the nth armed request's id is known before the server sees it */
static void *client_to_server(void *unused) {
	(void)unused;
	unsigned char *buf = malloc(MAX_PACKET + 4);
	for (;;) {
		if (read_full(0, buf, 4) != 1) break;
		uint32_t len = be32(buf);
		if (len > MAX_PACKET || read_full(0, buf + 4, len) != 1) break;
		pthread_mutex_lock(&lock);
		while (holding) pthread_cond_wait(&released, &lock);
		if (!target_set && matches(buf, len + 4) && ++seen == arm_nth) {
			target_id = be32(buf + 5);
			held_type = buf[4];
			target_set = 1;
		}
		pthread_mutex_unlock(&lock);
		if (write_full(to_server, buf, len + 4) != 0) break;
	}
	close(to_server);
	free(buf);
	return NULL;
}

/* holds the reply whose first 9 bytes are `head`: tells the test, waits for its word */
static void hold(const unsigned char *head) {
	char line[64];
	pthread_mutex_lock(&lock);
	holding = 1;
	pthread_mutex_unlock(&lock);
	dprintf(control, "held %u %u\n", held_type, target_id);
	control_line(line, sizeof line);
	if (strcmp(line, "drop") == 0) {
		kill(child, SIGKILL);
		_exit(1);
	}
	(void)head; /* "release", or the test went away: the reply goes on */
	pthread_mutex_lock(&lock);
	holding = 0;
	pthread_cond_broadcast(&released);
	pthread_mutex_unlock(&lock);
}

/* sftp-server -> client: headers read first, so the armed reply is held before its first byte leaves */
static void server_to_client(void) {
	unsigned char head[9], *buf = malloc(65536);
	int done = 0;
	while (read_full(from_server, head, 4) == 1) {
		uint32_t len = be32(head), have = len < 5 ? len : 5, left;
		if (read_full(from_server, head + 4, have) != 1) break;
		pthread_mutex_lock(&lock);
		int target = !done && target_set && have == 5 && head[4] >= 101 && be32(head + 5) == target_id;
		pthread_mutex_unlock(&lock);
		if (target) {
			hold(head);
			done = 1;
		}
		if (write_full(1, head, 4 + have) != 0) break;
		for (left = len - have; left > 0;) {
			ssize_t r = read(from_server, buf, left < 65536 ? left : 65536);
			if (r <= 0 || write_full(1, buf, (size_t)r) != 0) goto out;
			left -= (uint32_t)r;
		}
	}
out:
	free(buf);
}

/* "arm <type> <nth> [prefix]" from the test, or 0 (run sftp-server as it is) */
static int ask_control(void) {
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[1200];
	strncpy(addr.sun_path, CONTROL, sizeof addr.sun_path - 1);
	control = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (control < 0 || connect(control, (struct sockaddr *)&addr, sizeof addr) != 0) return 0;
	dprintf(control, "hello %d\n", (int)getpid());
	control_line(line, sizeof line);
	if (sscanf(line, "arm %u %u %1023s", &arm_type, &arm_nth, prefix) < 2 || arm_nth == 0) return 0;
	prefix_len = strlen(prefix);
	return 1;
}

int main(int argc, char **argv) {
	char *args[32], *save = NULL;
	int n = 0, in[2], out[2];
	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "This account only serves SFTP.\n");
		return 1;
	}
	for (char *w = strtok_r(argv[2], " ", &save); w && n < 31; w = strtok_r(NULL, " ", &save)) args[n++] = w;
	args[n] = NULL;
	if (n == 0 || strcmp(args[0], SERVER) != 0) {
		fprintf(stderr, "This account only serves SFTP.\n");
		return 1;
	}
	if (!ask_control()) {
		if (control >= 0) close(control);
		execv(SERVER, args);
		perror(SERVER);
		return 127;
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || (child = fork()) < 0) return 1;
	if (child == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(SERVER, args);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_server = in[1];
	from_server = out[0];
	signal(SIGPIPE, SIG_IGN);
	pthread_t t;
	pthread_create(&t, NULL, client_to_server, NULL);
	server_to_client();
	int status = 0;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
