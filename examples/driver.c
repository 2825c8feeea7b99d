// SPDX-License-Identifier: MIT
/*
 * driver.c - a small driver's state on kprim, the way kernel code holds it.
 *
 * A device that several tasks write to: its log is a KVec grown with
 * GFP_KERNEL under a mutex (growing may sleep, so a mutex and not a
 * spinlock); a counter of events is kept under a spinlock taken with
 * interrupts off, so the event records are allocated there with
 * GFP_ATOMIC; and the device is refcounted with a kref, so it goes away
 * when the last writer lets go, whoever that is. Start here; the misuse
 * example shows what the debug variant says when the rules are broken.
 *
 * Build it against any variant, with nothing but pkg-config:
 *
 *   cc $(pkg-config --cflags kprim-release) driver.c \
 *      $(pkg-config --libs kprim-release) -o driver && ./driver
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <kprim.h>

#define WRITERS		4
#define RECORDS		1000	/* per writer */

struct record {
	unsigned int writer;
	unsigned int seq;
};

struct event {
	struct event *next;
	unsigned int writer;
};

struct my_device {
	struct mutex log_lock;		/* protects log; may sleep while held */
	struct kvec log;		/* KVec<struct record> */
	spinlock_t event_lock;		/* protects events, nr_events; irqs off */
	struct event *events;
	unsigned long nr_events;
	struct kref kref;
};

static int releases;

static void my_device_release(struct kref *kref)
{
	struct my_device *dev = container_of(kref, struct my_device, kref);

	while (dev->events) {
		struct event *e = dev->events;

		dev->events = e->next;
		kfree(e);
	}
	kvec_free(&dev->log);
	mutex_destroy(&dev->log_lock);
	kfree(dev);
	releases++;
}

static struct my_device *my_device_create(void)
{
	/* Allocated, then initialised where it stays: a mutex must not move. */
	struct my_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return NULL;
	mutex_init(&dev->log_lock);
	kvec_init(&dev->log, sizeof(struct record), KVEC_KMALLOC);
	spin_lock_init(&dev->event_lock);
	kref_init(&dev->kref);
	return dev;
}

static int my_device_log(struct my_device *dev, unsigned int writer, unsigned int seq)
{
	struct record r = { .writer = writer, .seq = seq };

	guard(mutex)(&dev->log_lock);		/* unlocked on every return */
	return kvec_push(&dev->log, &r, GFP_KERNEL);
}

static int my_device_event(struct my_device *dev, unsigned int writer)
{
	unsigned long flags;
	struct event *e;

	spin_lock_irqsave(&dev->event_lock, flags);
	e = kmalloc(sizeof(*e), GFP_ATOMIC);	/* atomic context: must not sleep */
	if (e) {
		e->writer = writer;
		e->next = dev->events;
		dev->events = e;
		dev->nr_events++;
	}
	spin_unlock_irqrestore(&dev->event_lock, flags);
	return e ? 0 : -ENOMEM;
}

struct writer {
	pthread_t thread;
	struct my_device *dev;
	unsigned int id;
	int err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	for (unsigned int seq = 0; seq < RECORDS && !w->err; seq++) {
		w->err = my_device_log(w->dev, w->id, seq);
		if (!w->err)
			w->err = my_device_event(w->dev, w->id);
	}
	kref_put(&w->dev->kref, my_device_release);	/* this writer's reference */
	return NULL;
}

/* Every writer's records are in the log, each writer's in its own order. */
static int check_log(struct my_device *dev)
{
	unsigned int next[WRITERS] = { 0 };

	for (size_t i = 0; i < dev->log.len; i++) {
		const struct record *r = kvec_at(&dev->log, i);

		if (r->writer >= WRITERS || r->seq != next[r->writer]++)
			return -1;
	}
	for (unsigned int w = 0; w < WRITERS; w++)
		if (next[w] != RECORDS)
			return -1;
	return 0;
}

int main(void)
{
	struct writer writers[WRITERS];
	struct my_device *dev = my_device_create();
	int failed = 0;

	if (!dev) {
		fprintf(stderr, "driver: no memory for the device\n");
		return 1;
	}
	printf("driver: kprim %s variant, %d writers x %d records\n", KP_VARIANT, WRITERS, RECORDS);
	for (unsigned int i = 0; i < WRITERS; i++) {
		writers[i] = (struct writer){ .dev = dev, .id = i };
		kref_get(&dev->kref);		/* one reference per writer */
		if (pthread_create(&writers[i].thread, NULL, writer_main, &writers[i])) {
			fprintf(stderr, "driver: cannot start a writer\n");
			return 1;
		}
	}
	/* Wait until the writers are done; our reference keeps dev alive. */
	for (unsigned int i = 0; i < WRITERS; i++) {
		pthread_join(writers[i].thread, NULL);
		failed |= writers[i].err != 0;
	}
	printf("driver: %zu records logged, %s\n", dev->log.len,
	       check_log(dev) ? "OUT OF ORDER" : "each writer's in order");
	printf("driver: %lu events recorded under the spinlock\n", dev->nr_events);
	failed |= check_log(dev) != 0 || dev->nr_events != WRITERS * RECORDS;

	kref_put(&dev->kref, my_device_release);	/* the last one: released here */
	printf("driver: device released %d time(s), %zu objects still allocated\n",
	       releases, kp_kmemleak_report(NULL));
	failed |= releases != 1;
	return failed;
}
