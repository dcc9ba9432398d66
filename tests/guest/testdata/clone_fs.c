/* A clone(CLONE_FS|SIGCHLD) child changes the shared cwd; a fork child's
 * change stays its own. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
static char st[65536];
static int f(void*a){chdir("/tmp");return 0;}
int main(){pid_t p=clone(f,st+sizeof st,CLONE_FS|SIGCHLD,0);waitpid(p,0,0);char b[256];getcwd(b,256);puts(b);
p=fork(); if(!p){chdir("/usr");_exit(0);} waitpid(p,0,0); getcwd(b,256); puts(b); return 0;}
