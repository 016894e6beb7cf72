# hash.pl — a hash-heavy Perl workload for the LD_PRELOAD test.
use strict;
use warnings;

my %h;
my $x = 12345;
for my $i (1 .. 300000) {
    $x = ($x * 1103515245 + 12345) % 2147483648;
    my $k = sprintf("k%07d", $x % 200000);
    $h{$k} .= chr(97 + $i % 26);
}
my %inv;
while (my ($k, $v) = each %h) {
    push @{ $inv{ length $v } }, $k;
}
my $sum = 0;
for my $len (sort { $a <=> $b } keys %inv) {
    my @ks = sort @{ $inv{$len} };
    $sum += $len * scalar(@ks);
    printf "%d %d %s\n", $len, scalar(@ks), $ks[0];
}
my @words = map { join '', map { chr(97 + ($_ * 7) % 26) } 1 .. ($_ % 50) } 1 .. 50000;
my $joined = join ' ', reverse sort @words;
delete $h{$_} for grep { /3$/ } keys %h;
printf "keys %d sum %d joined %d\n", scalar(keys %h), $sum, length $joined;
