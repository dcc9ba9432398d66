/* Prints the ids, dumpable flag and AT_SECURE/AT_EXECFN a (set-user-ID)
 * exec gave it. */
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/auxv.h>
int main(int c, char **v){printf("%s: euid %d ruid %d dumpable %d secure %lu execfn %s\n", c>1?v[1]:"-", geteuid(), getuid(), prctl(PR_GET_DUMPABLE), getauxval(AT_SECURE), (char*)getauxval(AT_EXECFN));return 0;}
