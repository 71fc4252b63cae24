/* Tests for the mount table: both kernel formats with escaped names, the longest-prefix
 * lookup on whole path components, and a live lookup of the test scratch directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mounts.h"

static const char mounts_sample[] =
    "/dev/sda1 / ext4 rw,relatime 0 0\n"
    "/dev/sdb1 /mnt/data ext4 rw 0 0\n"
    "server:/export /mnt/data\\040set nfs4 rw,vers=4.2 0 0\n"
    "tmpfs /mnt/data/cache tmpfs rw,size=1g 0 0\n"
    "/dev/sdc1 /mnt/database xfs rw 0 0\n"
    "short line\n"
    "overlay / overlay rw,lowerdir=/a 0 0\n";

static const char *fstype_at(const mlps_mount *mounts, size_t count, const char *path)
{
    ssize_t index = mlps_mount_containing(mounts, count, path);
    return index < 0 ? "(none)" : mounts[index].fstype;
}

static void mounts_format_is_parsed_and_unescaped(void **state)
{
    (void)state;
    mlps_mount *mounts;
    size_t count;
    assert_int_equal(mlps_parse_mounts(mounts_sample, &mounts, &count, NULL), 0);
    assert_int_equal(count, 6);
    assert_string_equal(mounts[2].device, "server:/export");
    assert_string_equal(mounts[2].mount_point, "/mnt/data set");
    assert_string_equal(mounts[2].fstype, "nfs4");
    assert_string_equal(mounts[2].options, "rw,vers=4.2");
    assert_string_equal(mounts[5].device, "overlay");
    mlps_mounts_free(mounts, count);
}

static void lookup_takes_the_longest_whole_component_prefix(void **state)
{
    (void)state;
    mlps_mount *mounts;
    size_t count;
    assert_int_equal(mlps_parse_mounts(mounts_sample, &mounts, &count, NULL), 0);
    assert_string_equal(fstype_at(mounts, count, "/mnt/data set/x"), "nfs4");
    assert_string_equal(fstype_at(mounts, count, "/mnt/data/cache/file"), "tmpfs");
    assert_string_equal(fstype_at(mounts, count, "/mnt/data/cache"), "tmpfs");
    assert_string_equal(fstype_at(mounts, count, "/mnt/data/cached"), "ext4");
    assert_string_equal(fstype_at(mounts, count, "/mnt/data"), "ext4");
    assert_string_equal(fstype_at(mounts, count, "/mnt/database/x"), "xfs");
    /* "/" is mounted twice; the later mount is the one on top. */
    assert_string_equal(fstype_at(mounts, count, "/mnt/datab"), "overlay");
    assert_string_equal(fstype_at(mounts, count, "/"), "overlay");
    assert_int_equal(mlps_mount_containing(mounts, 2, "relative/path"), -1);
    mlps_mounts_free(mounts, count);
}

static void mountinfo_format_joins_mount_and_super_options(void **state)
{
    (void)state;
    const char *text =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "29 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
        "40 29 0:35 / /mnt/my\\040disk rw,nosuid master:2 shared:3 - xfs /dev/sdb1 rw,attr2\n"
        "41 29 0:36 / /broken rw shared:4\n";
    mlps_mount *mounts;
    size_t count;
    assert_int_equal(mlps_parse_mountinfo(text, &mounts, &count, NULL), 0);
    assert_int_equal(count, 3);
    assert_string_equal(mounts[1].device, "/dev/sda1");
    assert_string_equal(mounts[1].mount_point, "/");
    assert_string_equal(mounts[1].fstype, "ext4");
    assert_string_equal(mounts[1].options, "rw,relatime,errors=remount-ro");
    assert_string_equal(mounts[2].mount_point, "/mnt/my disk");
    assert_string_equal(mounts[2].device, "/dev/sdb1");
    assert_string_equal(mounts[2].options, "rw,nosuid,attr2");
    assert_string_equal(fstype_at(mounts, count, "/mnt/my disk/f"), "xfs");
    assert_string_equal(fstype_at(mounts, count, "/proc/self"), "proc");
    mlps_mounts_free(mounts, count);
}

static void live_lookup_finds_the_scratch_file_system(void **state)
{
    (void)state;
    const char *base = getenv("MLPS_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0755);
    char resolved[PATH_MAX];
    assert_non_null(realpath(base, resolved));

    mlps_mount mount;
    assert_int_equal(mlps_sysinfo_filesystem_of(base, &mount, NULL), 0);
    assert_true(strlen(mount.fstype) > 0);
    size_t n = strlen(mount.mount_point);
    assert_true(strcmp(mount.mount_point, "/") == 0 ||
                (strncmp(mount.mount_point, resolved, n) == 0 &&
                 (resolved[n] == '/' || resolved[n] == '\0')));

    /* A path not created yet belongs to its nearest existing ancestor's file system. */
    char missing[PATH_MAX + 32], ancestor[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/not/made/yet", base);
    assert_int_equal(mlps_resolve_existing_ancestor(missing, ancestor, NULL), 0);
    assert_string_equal(ancestor, resolved);
    mlps_mount same;
    assert_int_equal(mlps_sysinfo_filesystem_of(missing, &same, NULL), 0);
    assert_string_equal(same.mount_point, mount.mount_point);
    assert_string_equal(same.fstype, mount.fstype);
    mlps_mount_clear(&mount);
    mlps_mount_clear(&same);

    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_sysinfo_filesystem_of("", &mount, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mounts_format_is_parsed_and_unescaped),
        cmocka_unit_test(lookup_takes_the_longest_whole_component_prefix),
        cmocka_unit_test(mountinfo_format_joins_mount_and_super_options),
        cmocka_unit_test(live_lookup_finds_the_scratch_file_system),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
